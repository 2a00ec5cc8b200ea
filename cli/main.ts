/**
 * `npx handover ...`: the command-line client of the Handover API.
 * The API URL and key come from --api / --api-key or HANDOVER_API_URL / HANDOVER_API_KEY.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { HANDOVER_STATUSES, type HandoverStatus, RESTARTABLE_STEPS, type RestartableStep } from '../api/types';
import { ApiClient, ApiError } from './api-client';
import { clean, json, printable, renderList, renderProgress, renderReports, renderWatchFrame } from './render';

const program = new Command('handover')
  .description('Hand databases over to staging, and follow them.')
  .addOption(new Option('--api <url>', 'Handover API URL').env('HANDOVER_API_URL').default('http://127.0.0.1:8080'))
  .addOption(new Option('--api-key <key>', 'API key, sent as a bearer token').env('HANDOVER_API_KEY'))
  .showHelpAfterError();

/** The options each command declares, as commander hands them to its action (a flag not given is undefined). */
interface GlobalOptions {
  api: string;
  apiKey?: string;
}
interface JsonOption {
  json?: boolean;
}
type BatchItem = Record<string, string>;
/** A batch file in JSON: the items, or `{handovers: [...]}` as POST /batches takes them. */
type BatchFile = BatchItem[] | { handovers: BatchItem[] };

const client = () => new ApiClient(program.opts<GlobalOptions>().api, program.opts<GlobalOptions>().apiKey);
/** Every value printed came from elsewhere: JSON escapes what a terminal would act on, and the text renderers print only `clean` data. */
const print = (value: unknown, asJson: boolean | undefined, text: () => string) => console.log(asJson ? json(value) : text());

program
  .command('submit')
  .description('submit a handover; prints its token')
  .requiredOption('--src <uri>', 'source database URI')
  .option('--tgt <uri>', 'target database URI (default: the staging server + the source name)')
  .requiredOption('--contact <email>', 'who is told how it went')
  .requiredOption('--type <update type>', 'the kind of update: new_assembly, new_genebuild, patch or other (GET /admission lists them)')
  .requiredOption('--comment <text>', 'why it is handed over')
  .option('--json', 'print the API answer as JSON')
  .action(async (o: { src: string; tgt?: string; contact: string; type: string; comment: string } & JsonOption) => {
    const answer = await client().submit({
      src_uri: o.src,
      tgt_uri: o.tgt,
      contact: o.contact,
      type: o.type,
      comment: o.comment,
      source: 'handover CLI',
    });
    print(answer, o.json, () => printable(answer.token));
  });

program
  .command('status <token>')
  .description("a handover's status, steps and failure")
  .option('--json', 'print the progress as JSON')
  .action(async (token: string, o: JsonOption) => {
    const progress = await client().progress(token);
    print(progress, o.json, () => renderProgress(progress));
    process.exitCode = progress.status === 'failed' ? 3 : 0;
  });

program
  .command('reports <token>')
  .description("a handover's step reports: time, level and message (--json: the whole reports)")
  .option('--json', 'print the reports as JSON')
  .action(async (token: string, o: JsonOption) => {
    const reports = await client().reports(token);
    print(reports, o.json, () => renderReports(reports));
  });

program
  .command('watch <token>')
  .description('follow a handover with a progress bar until it ends (exit 0 when it completes)')
  .option('--interval <seconds>', 'seconds between updates', '1')
  .action(async (token: string, o: { interval: string }) => {
    const api = client();
    let last = '';
    for (;;) {
      const progress = await api.progress(token);
      const frame = renderWatchFrame(progress);
      if (frame !== last) {
        if (process.stdout.isTTY && last) process.stdout.write(`\x1b[${last.split('\n').length}A\x1b[0J`);
        process.stdout.write(`${frame}\n`);
        last = frame;
      }
      if (progress.status !== 'running') {
        process.exitCode = progress.status === 'completed' ? 0 : 3;
        return;
      }
      await new Promise((r) => setTimeout(r, Number(o.interval) * 1000));
    }
  });

program
  .command('list')
  .description('handovers, newest first')
  .addOption(new Option('--status <status>').choices(HANDOVER_STATUSES))
  .option('--database <name>')
  .option('--contact <email>')
  .option('--type <database type>', 'the kind of database, e.g. core')
  .option('--update-type <update type>', 'the kind of update, e.g. new_genebuild')
  .option('--limit <n>', 'at most this many', '50')
  .option('--json', 'print JSON')
  .action(
    async (
      o: { status?: HandoverStatus; database?: string; contact?: string; type?: string; updateType?: string; limit: string } & JsonOption,
    ) => {
      const rows = await client().list({
        status: o.status,
        database: o.database,
        contact: o.contact,
        type: o.type,
        update_type: o.updateType,
        limit: o.limit,
      });
      print(rows, o.json, () => renderList(rows));
    },
  );

program
  .command('cancel <token>')
  .description('cancel a running handover (its running job is killed)')
  .option('--reason <text>')
  .option('--by <name>', 'who cancels', process.env.USER ?? 'handover CLI')
  .action(async (token: string, o: { by: string; reason?: string }) => {
    await client().cancel(token, { by: o.by, reason: o.reason });
    console.log(`cancelling ${printable(token)}`);
  });

program
  .command('restart <token>')
  .description('restart a failed or cancelled handover; prints the new token')
  .addOption(new Option('--from <step>', 'step to restart from (default: the one that failed)').choices(RESTARTABLE_STEPS))
  .action(async (token: string, o: { from?: RestartableStep }) => {
    const answer = await client().restart(token, o.from);
    console.log(printable(answer.token));
  });

program
  .command('batch <file>')
  .description('hand many databases over: a file with one source URI per line, or JSON {handovers: [...]}')
  .requiredOption('--contact <email>', 'who gets the summary email (and each handover email)')
  .option('--type <update type>', 'the kind of update, for items without one: new_assembly, new_genebuild, patch or other')
  .option('--comment <text>', 'comment for lines without one', 'batch handover')
  .option('--wait', 'follow the batch until every handover has ended, then print the counts')
  .action(async (file: string, o: { contact: string; type?: string; comment: string; wait?: boolean }) => {
    const text = readFileSync(file, 'utf8');
    const parsed = text.trim().startsWith('{') || text.trim().startsWith('[') ? (JSON.parse(text) as BatchFile) : undefined;
    const items: BatchItem[] = parsed
      ? Array.isArray(parsed)
        ? parsed
        : parsed.handovers
      : text
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith('#'))
          .map((src_uri) => ({ src_uri }));
    if (!o.type && items.some((i) => !i.type))
      throw new Error('--type <update type> is required (new_assembly, new_genebuild, patch or other) for items that name none');
    const api = client();
    const answer = await api.batch({
      contact: o.contact,
      handovers: items.map((i) => ({ type: o.type, comment: o.comment, source: 'handover CLI', ...i })),
    });
    console.log(`batch ${printable(answer.batch_id)}: ${answer.tokens.length} handover(s)`);
    if (!o.wait) return;
    for (;;) {
      const batch = clean(await api.batchStatus(answer.batch_id));
      if (batch.status === 'ended') {
        for (const h of batch.handovers)
          console.log(`  ${h.database.padEnd(40)} ${h.status}${h.reason ? ` (${h.reason})` : ''}  ${h.token}`);
        console.log(
          Object.entries(batch.counts)
            .filter(([k]) => k !== 'running')
            .map(([k, v]) => `${v} ${k}`)
            .join(', '),
        );
        process.exitCode = batch.counts.completed === batch.total ? 0 : 3;
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  });

program.parseAsync().catch((err) => {
  // The API's reasons quote what was sent (and a proxy in front may answer anything): printable too.
  if (err instanceof ApiError) {
    console.error(`handover: ${printable(err.message)}`);
    for (const issue of clean(err.issues ?? [])) console.error(`  ${issue.field}: ${issue.message}`);
  } else {
    console.error(`handover: ${printable(String((err as Error)?.message ?? err))}`);
  }
  process.exit(err instanceof ApiError && err.status === 404 ? 4 : 1);
});
