/**
 * What a MySQL copy lets through from the source server, which the submitter may run themselves (and
 * so may answer anything):
 *   createTableProblem / checkCreateTable   the text of `SHOW CREATE TABLE` must be ONE CREATE TABLE
 *     statement for that table (no statement separator outside quotes and comments, executable
 *     comments read as code), and nothing that reaches outside the copy's own schema: no
 *     CREATE ... SELECT, no MERGE/FEDERATED/CONNECT tables (only the engines in ENGINES), no
 *     DATA/INDEX DIRECTORY, no foreign key to another database. It is executed as it is, one statement
 *     through mysql2 (multipleStatements off), never through a command-line client.
 *   The rows need no such check: they arrive as values through LOAD DATA (transfer.ts), never as statements.
 */
import { printable } from '../db/names';

/** Storage engines a copy makes: their tables live in the schema, in the server's data folder. */
export const ENGINES = ['InnoDB', 'MyISAM', 'Aria', 'MEMORY', 'HEAP', 'ARCHIVE', 'CSV', 'ROCKSDB'];
const ENGINE_SET = new Set(ENGINES.map((e) => e.toUpperCase()));

/**
 * Words that never appear, outside quotes, in the definition a server gives of a plain table, and
 * that reach outside it: SELECT (CREATE TABLE ... SELECT reads any table, LOAD_FILE reads files),
 * UNION (a MERGE table over other databases' tables), CONNECTION (FEDERATED/SPIDER/CONNECT tables
 * talk to other servers), DIRECTORY (DATA/INDEX DIRECTORY puts files anywhere on the server).
 */
const FORBIDDEN_WORDS = new Set(['SELECT', 'UNION', 'CONNECTION', 'DIRECTORY', 'LOAD_FILE', 'INSERT_METHOD']);

/** Longer than any table definition a server writes (a few KB for the widest Ensembl table). */
const MAX_DEFINITION = 1 << 20;

type Token = { kind: 'word' | 'ident' | 'string' | 'punct'; text: string };

/**
 * The tokens of a statement as the server reads it (sql_mode without ANSI_QUOTES/NO_BACKSLASH_ESCAPES):
 * 'strings' (\ escapes, '' doubled), `identifiers` (`` doubled), comments skipped (# and -- to the end
 * of the line, /* ... *\/), executable comments (/*! and /*M!) read as code. Anything doubtful is
 * refused rather than guessed: a "double-quoted" text, a comment inside an executable comment, an
 * unterminated quote or comment.
 */
function tokens(sql: string): Token[] | string {
  const out: Token[] = [];
  let i = 0;
  let executable = false; // inside /*! ... */: code
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === "'") {
      let j = i + 1;
      for (;;) {
        if (j >= n) return 'an unterminated quoted string';
        if (sql[j] === '\\') j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      out.push({ kind: 'string', text: sql.slice(i, j + 1) });
      i = j + 1;
    } else if (c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= n) return 'an unterminated quoted name';
        if (sql[j] === '`' && sql[j + 1] === '`') j += 2;
        else if (sql[j] === '`') break;
        else j++;
      }
      out.push({ kind: 'ident', text: sql.slice(i + 1, j).replace(/``/g, '`') });
      i = j + 1;
    } else if (c === '"') {
      return 'a double-quoted text (the server writes names in backquotes and strings in single quotes)';
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && i + 2 < n && sql.charCodeAt(i + 2) <= 0x20)) {
      // To the end of the line (a \r ends it here too: what follows is read as code, the cautious side).
      while (i < n && sql[i] !== '\n' && sql[i] !== '\r') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const exec = /^\/\*(?:M?!)(\d{5,6})?/.exec(sql.slice(i, i + 12));
      if (executable) return 'a comment inside an executable comment';
      if (exec) {
        executable = true;
        i += exec[0].length;
      } else {
        const end = sql.indexOf('*/', i + 2);
        if (end < 0) return 'an unterminated comment';
        i = end + 2;
      }
    } else if (c === '*' && sql[i + 1] === '/' && executable) {
      executable = false;
      i += 2;
    } else if (/[A-Za-z0-9_$\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j])) j++;
      out.push({ kind: 'word', text: sql.slice(i, j) });
      i = j;
    } else {
      out.push({ kind: 'punct', text: c });
      i++;
    }
  }
  if (executable) return 'an unterminated executable comment';
  return out;
}

/** Why `sql` is not a plain definition of `table` that a copy may execute, or undefined when it is. */
export function createTableProblem(sql: unknown, table: string): string | undefined {
  const single = (why: string) => `is not a single CREATE TABLE statement (${why})`;
  if (typeof sql !== 'string') return single('the server sent no text');
  if (sql.length > MAX_DEFINITION) return single(`it is longer than ${MAX_DEFINITION} characters`);
  if (!sql.startsWith(`CREATE TABLE \`${table.replace(/`/g, '``')}\` (`)) return single(`it does not start with CREATE TABLE \`${printable(table)}\` (`);
  const list = tokens(sql);
  if (typeof list === 'string') return single(list);
  // CREATE TABLE `t` (LIKE other.x) copies another table's engine and options: not a definition of its own.
  if (list[4]?.kind === 'word' && list[4].text.toUpperCase() === 'LIKE') return single('it copies another table (LIKE)');
  for (const [i, t] of list.entries()) {
    if (t.kind === 'punct' && t.text === ';') return single('a ; outside quotes and comments');
    // A qualified name (db.table, db.sequence) reaches another database; a number (1.5) is not a name.
    const next = list[i + 2];
    if ((t.kind === 'ident' || (t.kind === 'word' && !/^[0-9]/.test(t.text))) && list[i + 1]?.text === '.' && next && (next.kind === 'ident' || next.kind === 'word')) {
      return `names \`${printable(t.text)}\`.\`${printable(next.text)}\`, an object of another database; a copy makes plain tables of its own only`;
    }
    if (t.kind !== 'word') continue;
    const word = t.text.toUpperCase();
    if (FORBIDDEN_WORDS.has(word)) return `has ${word} outside quotes, which reaches outside the copy; a copy makes plain tables only`;
    if (word === 'ENGINE') {
      const next = list[i + 1]?.text === '=' ? list[i + 2] : list[i + 1];
      if (!next || (next.kind !== 'word' && next.kind !== 'ident') || !ENGINE_SET.has(next.text.toUpperCase())) {
        return `uses ENGINE=${printable(next?.text ?? '')}; a copy makes only ${ENGINES.join(', ')} tables`;
      }
    }
    if (word === 'REFERENCES' && list[i + 1]?.kind === 'ident' && list[i + 2]?.text === '.') {
      return `has a foreign key to a table of another database (\`${printable(list[i + 1].text)}\`)`;
    }
  }
  return undefined;
}

/** The definition, when a copy may execute it; otherwise the job fails saying why. */
export function checkCreateTable(sql: unknown, table: string): string {
  const problem = createTableProblem(sql, table);
  if (problem) throw new Error(`the source's definition of table ${printable(table)} ${problem}`);
  return sql as string;
}
