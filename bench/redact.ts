/**
 * `npm run bench:redact`: how long redaction takes on texts of growing size, next to a plain
 * `String.prototype.replace` over the same text (the floor). Linear redaction keeps the ratio flat.
 */
import { redactText } from '../common/db-uri';
import { safe } from '../services/db/uri';

const SIZES: Array<[string, number]> = [
  ['10 KB', 10 << 10],
  ['100 KB', 100 << 10],
  ['1 MB', 1 << 20],
  ['2 MB', 2 << 20],
];

/** Texts a log or a hostile input may hold: URIs among words, and the shapes that made the old pattern quadratic. */
const SHAPES: Record<string, string> = {
  'log text': 'copy of mysql://ro:hunter@2secret@db.example.org:3306/homo_sapiens_core_110_38 failed: timeout; ',
  'a://b: repeated': 'a://b:',
  '@ repeated': '@',
  'a://b:c@ repeated': 'a://b:c@',
};

function ms(run: () => unknown): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

console.log('shape                size     redactText ms  safe ms  replace ms  ratio (redactText / replace)');
for (const [shape, unit] of Object.entries(SHAPES)) {
  for (const [label, size] of SIZES) {
    const text = unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
    const secret = 'hunter@2secret';
    const redact = ms(() => redactText(text, [secret]));
    const stack = ms(() => safe(text));
    const floor = ms(() => text.replace(/:\/\//g, '://'));
    console.log(
      `${shape.padEnd(20)} ${label.padEnd(8)} ${redact.toFixed(1).padStart(13)} ${stack.toFixed(1).padStart(8)}` +
        ` ${floor.toFixed(1).padStart(11)}  ${(redact / floor).toFixed(1)}`,
    );
  }
}
