/**
 * One row as one line in LOAD DATA's own text format, and the LOAD DATA statement that reads such lines back
 * (transfer.ts, "rows"): whatever the source holds arrives as values, never as SQL.
 */
import { quoteIdent } from '../db/names';
import type { Column } from './transfer-plan';

const q = (name: string) => quoteIdent('mysql', name);
const BS = 'CHAR(92)';
const NULL_TEXT = `CONCAT(${BS}, 'N')`;
const BINARY = /blob|binary|geometry|point|linestring|polygon|collection/i;
/** Types whose text has no tab, newline or backslash: written as they are. */
const PLAIN = /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|date|time|datetime|timestamp|year)$/i;

/**
 * The SELECT expression that writes one row as one LOAD DATA line (fields by tab, escaped by backslash):
 * text as its stored bytes with \, tab and newline escaped; binary and spatial values in hex; BIT as a number;
 * numbers, dates and times as they are (their text holds none of those characters).
 */
export function lineExpression(columns: Column[]): string {
  const fields = columns.map(({ name, type, nullable = true }) => {
    const c = q(name);
    let value: string;
    if (BINARY.test(type)) value = `HEX(${c})`;
    else if (/^bit$/i.test(type)) value = `CAST(${c} AS UNSIGNED)`;
    else if (/^float$/i.test(type))
      value = `CAST(${c} AS DOUBLE)`; // FLOAT's own text keeps 6 digits; as a double it is exact
    else if (PLAIN.test(type)) value = c;
    else
      value =
        `REPLACE(REPLACE(REPLACE(CAST(${c} AS BINARY), ${BS}, CONCAT(${BS}, ${BS})), CHAR(9), CONCAT(${BS}, 't')), CHAR(10), ` +
        `CONCAT(${BS}, 'n'))`;
    // IF, not IFNULL: a value too long for the server's max_allowed_packet turns NULL, and must not pass as \N
    // (CONCAT_WS then leaves the field out, and the load's warning fails the copy).
    return nullable ? `IF(${c} IS NULL, ${NULL_TEXT}, ${value})` : value;
  });
  return `CONCAT_WS(CHAR(9), ${fields.join(', ')})`;
}

/** The LOAD DATA statement for a table's lines: hex and BIT values through variables, made back by UNHEX / CAST. */
export function loadStatement(table: string, columns: Column[]): string {
  const targets: string[] = [];
  const sets: string[] = [];
  columns.forEach(({ name, type }, i) => {
    if (BINARY.test(type)) {
      targets.push(`@v${i}`);
      sets.push(`${q(name)} = UNHEX(@v${i})`);
    } else if (/^bit$/i.test(type)) {
      targets.push(`@v${i}`);
      sets.push(`${q(name)} = CAST(@v${i} AS UNSIGNED)`);
    } else targets.push(q(name));
  });
  return (
    `LOAD DATA LOCAL INFILE 'rows' INTO TABLE ${q(table)} CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' ` +
    `LINES TERMINATED BY '\\n' ` +
    `(${targets.join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''}`
  );
}
