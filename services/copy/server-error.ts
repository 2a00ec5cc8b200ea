/**
 * A server's error, as the copy reports it: the error's number and name, the server and the table, never the
 * server's message. MariaDB quotes row data in its messages (a duplicate key's value, a value too long), and a
 * source server of the submitter's own may answer any text at all; either would travel into the job's failure,
 * the email, the reports and the CLI.
 */
import { printable } from '../db/names';

interface MysqlError {
  errno?: unknown;
  code?: unknown;
  sqlMessage?: unknown;
  sqlState?: unknown;
}

/** Whether `err` is an error a server answered (mysql2 gives it an errno and the server's message). */
export const isServerError = (err: unknown): err is MysqlError =>
  typeof err === 'object' && err !== null && 'sqlMessage' in err && typeof (err as MysqlError).errno === 'number';

/** "MariaDB error 1062 (ER_DUP_ENTRY)": the number, and mysql2's name for it when it is one (never the server's own text). */
function errorCode(err: MysqlError): string {
  const code = typeof err.code === 'string' && /^[A-Z0-9_]{1,64}$/.test(err.code) ? ` (${err.code})` : '';
  return `MariaDB error ${Number(err.errno)}${code}`;
}

/** The error to report for `err`, raised while `doing` (e.g. "loading the rows of table feature"): a server's error reduced to its code. */
export function reported(err: unknown, server: string, doing: string): unknown {
  if (!isServerError(err)) return err;
  return new Error(`the ${server} server answered ${errorCode(err)} while ${printable(doing, 200)}`);
}
