/**
 * What a MySQL copy lets through from the source server, which the submitter may run themselves (and
 * so may answer anything):
 *   createTableProblem / checkCreateTable   the text of `SHOW CREATE TABLE` must be ONE CREATE TABLE
 *     statement for that table (no statement separator outside quotes and comments, executable
 *     comments read as code), and nothing that reaches outside the copy's own schema: no
 *     CREATE ... SELECT, no MERGE/FEDERATED/CONNECT tables (only the engines in ENGINES), no
 *     DATA/INDEX DIRECTORY, no foreign key to another database. It is executed as it is, one statement
 *     through mysql2 (multipleStatements off), never through a command-line client.
 *   DumpGuard   sits between `mariadb-dump --no-create-info` and the `mariadb` loader and passes on only
 *     the statements that dump writes: its fixed SET lines, LOCK TABLES / UNLOCK TABLES, ALTER TABLE ...
 *     DISABLE/ENABLE KEYS and INSERT INTO `table` [(`column`, ...)] VALUES (literal, ...), ... for the tables of that stream,
 *     every literal a quoted string, a number, NULL, 0x.., b'..' or _binary '..'. mariadb-dump writes some
 *     values as the server sent them (numbers, decimals unquoted), so a hostile server could otherwise
 *     close an INSERT and start a statement of its own; the guard refuses the first byte that is not
 *     part of an allowed statement, before it reaches the loader.
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
  for (const [i, t] of list.entries()) {
    if (t.kind === 'punct' && t.text === ';') return single('a ; outside quotes and comments');
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

// ---------------------------------------------------------------- the dump stream

const VARIABLES = ['CHARACTER_SET_CLIENT', 'CHARACTER_SET_RESULTS', 'COLLATION_CONNECTION', 'TIME_ZONE', 'FOREIGN_KEY_CHECKS', 'UNIQUE_CHECKS', 'SQL_MODE', 'SQL_NOTES', 'NOTE_VERBOSITY'];
/** The values the dump's header gives them (the footer puts back the saved @OLD_ ones). */
const CONSTANTS = new Set(["TIME_ZONE='+00:00'", 'FOREIGN_KEY_CHECKS=0', 'UNIQUE_CHECKS=0', "SQL_MODE='NO_AUTO_VALUE_ON_ZERO'", 'SQL_NOTES=0', 'NOTE_VERBOSITY=0', 'NAMES utf8mb4']);

/** A header or footer line of the dump: `/*!40101 SET a, b *\/;`, each assignment one the dump client writes. */
function setLine(line: string): boolean {
  const m = /^\/\*M?!\d{5,6} SET (.+) \*\/;$/.exec(line);
  if (!m) return false;
  return m[1].split(', ').every((a) => {
    if (CONSTANTS.has(a)) return true;
    const save = /^@OLD_([A-Z_]+)=@@([A-Z_]+)$/.exec(a);
    if (save) return save[1] === save[2] && VARIABLES.includes(save[1]);
    const restore = /^([A-Z_]+)=@OLD_([A-Z_]+)$/.exec(a);
    return !!restore && restore[1] === restore[2] && VARIABLES.includes(restore[1]);
  });
}

const SANDBOX_LINE = /^\/\*M!999999\\- enable the sandbox mode \*\/ ?$/;
// INSERT INTO `t` VALUES, with the column list the dump writes for tables with generated or invisible columns.
const QUOTED = '`(?:[^`]|``)+`';
const INSERT_HEAD = new RegExp(`^INSERT INTO \`([A-Za-z0-9_]{1,64})\` (?:\\(${QUOTED}(?:, ${QUOTED})*\\) )?VALUES$`);
const MAX_LINE = 1 << 20;

// States of the byte machine.
const LINE = 0; // collecting a line that is not an INSERT's rows
const TUPLE_OPEN = 1; // expects (
const VALUE = 2; // expects the first byte of a value
const NUM = 3;
const STR = 4;
const STR_ESC = 5;
const STR_QUOTE = 6; // after a ' inside a string: '' goes on, anything else ends it
const KEYWORD = 7; // the rest of NULL, _binary ' or b'
const BITS = 8;
const AFTER_VALUE = 9; // , or )
const AFTER_TUPLE = 10; // , or ;
const TUPLE_NEXT = 11; // after ),: a newline or (
const END = 12; // after ;: a newline
// States of a number: - | 0 | digits | digits. | ...e | ...e- | ...e1 | 0x | 0x1f
const N_SIGN = 0;
const N_ZERO = 1;
const N_INT = 2;
const N_FRAC = 3;
const N_EXP = 4;
const N_EXP_SIGN = 5;
const N_EXP_DIGITS = 6;
const N_HEX0 = 7;
const N_HEX = 8;

/** Refuses a dump stream with anything but the statements `mariadb-dump --no-create-info` writes for `tables`. */
export class DumpGuard {
  private state = LINE;
  private line = '';
  private number = N_INT;
  private unsigned = true;
  private keyword = '';
  private afterKeyword = AFTER_VALUE;
  private table = '';
  private failure: Error | undefined;
  private readonly tables: ReadonlySet<string>;

  constructor(tables: Iterable<string>) {
    this.tables = new Set(tables);
  }

  private refuse(why: string): never {
    this.failure = new Error(`the source's dump holds something the copy does not load (${why}); it was stopped there`);
    throw this.failure;
  }

  private name(name: string): void {
    if (!this.tables.has(name)) this.refuse(`a statement on \`${printable(name)}\`, which this dump does not copy`);
  }

  /** A whole line outside an INSERT's rows. */
  private endLine(line: string): void {
    if (line === '' || line === 'UNLOCK TABLES;' || SANDBOX_LINE.test(line) || setLine(line)) return;
    const m = /^LOCK TABLES `([A-Za-z0-9_]{1,64})` WRITE;$/.exec(line) ?? /^\/\*!40000 ALTER TABLE `([A-Za-z0-9_]{1,64})` (?:DISABLE|ENABLE) KEYS \*\/;$/.exec(line);
    if (m) return this.name(m[1]);
    const insert = INSERT_HEAD.exec(line);
    if (insert) {
      this.name(insert[1]);
      this.table = insert[1];
      this.state = TUPLE_OPEN;
      return;
    }
    this.refuse(`the line ${JSON.stringify(printable(line, 100))}`);
  }

  /**
   * Checks the next bytes of the dump and returns those that may go on to the loader now: every byte of
   * rows once checked, a line (SET, LOCK, INSERT INTO ... VALUES) only when it is whole and allowed, so the
   * loader never sees the ; of a statement the guard has not passed. Throws at the first byte no allowed
   * statement has there: nothing of that chunk may then be passed on, and the loader must be killed
   * (not given an end of input, which would run an unfinished statement).
   */
  write(chunk: Buffer): Buffer[] {
    if (this.failure) throw this.failure;
    const out: Buffer[] = [];
    const n = chunk.length;
    let state = this.state;
    let num = this.number;
    let run = -1; // where the bytes of rows to pass on began in this chunk
    for (let i = 0; i < n; i++) {
      if (state !== LINE && run < 0) run = i;
      const b = chunk[i];
      switch (state) {
        case STR: {
          // The bulk of a dump: run through the string's bytes.
          let j = i;
          let c = b;
          while (c !== 0x27 && c !== 0x5c && c !== 0x00 && c !== 0x0a && c !== 0x0d && c !== 0x1a) {
            if (++j >= n) break;
            c = chunk[j];
          }
          i = j;
          if (j >= n) break;
          if (c === 0x27) state = STR_QUOTE;
          else if (c === 0x5c) state = STR_ESC;
          else this.refuse(`a raw control byte 0x${c.toString(16)} inside a string of ${this.table}`);
          break;
        }
        case STR_ESC:
          if (b === 0x00 || b === 0x0a || b === 0x0d) this.refuse(`a raw control byte after \\ in a string of ${this.table}`);
          state = STR;
          break;
        case STR_QUOTE:
          if (b === 0x27) state = STR;
          else {
            state = AFTER_VALUE;
            i--; // this byte comes after the value
          }
          break;
        case NUM: {
          // -?digits(.digits*)?([eE][-+]?digits)? or 0x hexdigits, one byte at a time.
          const digit = b >= 0x30 && b <= 0x39;
          if (digit && (num === N_SIGN || num === N_INT || num === N_ZERO || num === N_FRAC)) num = num === N_FRAC ? N_FRAC : N_INT;
          else if (digit && (num === N_EXP || num === N_EXP_SIGN || num === N_EXP_DIGITS)) num = N_EXP_DIGITS;
          else if (b === 0x2e && (num === N_INT || num === N_ZERO)) num = N_FRAC;
          else if ((b === 0x65 || b === 0x45) && (num === N_INT || num === N_ZERO || num === N_FRAC)) num = N_EXP;
          else if ((b === 0x2b || b === 0x2d) && num === N_EXP) num = N_EXP_SIGN;
          else if (b === 0x78 && num === N_ZERO && this.unsigned) num = N_HEX0;
          else if ((num === N_HEX0 || num === N_HEX) && (digit || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66))) num = N_HEX;
          else if (num === N_INT || num === N_ZERO || num === N_FRAC || num === N_EXP_DIGITS || num === N_HEX) {
            state = AFTER_VALUE;
            i--; // this byte comes after the value
          } else this.refuse(`a malformed number in a row of ${this.table}`);
          break;
        }
        case VALUE:
          if (b === 0x27) state = STR;
          else if ((b >= 0x30 && b <= 0x39) || b === 0x2d) {
            num = b === 0x2d ? N_SIGN : b === 0x30 ? N_ZERO : N_INT;
            this.unsigned = b !== 0x2d;
            state = NUM;
          } else if (b === 0x4e) {
            this.keyword = 'ULL';
            this.afterKeyword = AFTER_VALUE;
            state = KEYWORD;
          } else if (b === 0x5f) {
            this.keyword = "binary '";
            this.afterKeyword = STR;
            state = KEYWORD;
          } else if (b === 0x62) {
            this.keyword = "'";
            this.afterKeyword = BITS;
            state = KEYWORD;
          } else this.refuse(`${JSON.stringify(String.fromCharCode(b))} where a value of ${this.table} begins`);
          break;
        case KEYWORD:
          if (b !== this.keyword.charCodeAt(0)) this.refuse(`${JSON.stringify(String.fromCharCode(b))} inside a value of ${this.table}`);
          this.keyword = this.keyword.slice(1);
          if (!this.keyword) state = this.afterKeyword;
          break;
        case BITS:
          if (b === 0x27) state = AFTER_VALUE;
          else if (b !== 0x30 && b !== 0x31) this.refuse(`a bit value of ${this.table} with ${JSON.stringify(String.fromCharCode(b))}`);
          break;
        case AFTER_VALUE:
          if (b === 0x2c) state = VALUE;
          else if (b === 0x29) state = AFTER_TUPLE;
          else this.refuse(`${JSON.stringify(printable(String.fromCharCode(b)))} after a value of ${this.table}`);
          break;
        case AFTER_TUPLE:
          if (b === 0x2c) state = TUPLE_NEXT;
          else if (b === 0x3b) state = END;
          else this.refuse(`${JSON.stringify(printable(String.fromCharCode(b)))} after a row of ${this.table}`);
          break;
        case TUPLE_NEXT:
          if (b === 0x0a) state = TUPLE_OPEN;
          else if (b === 0x28) state = VALUE;
          else this.refuse(`${JSON.stringify(printable(String.fromCharCode(b)))} between rows of ${this.table}`);
          break;
        case TUPLE_OPEN:
          if (b === 0x28) state = VALUE;
          else this.refuse(`${JSON.stringify(printable(String.fromCharCode(b)))} where a row of ${this.table} begins`);
          break;
        case END:
          if (b !== 0x0a) this.refuse(`${JSON.stringify(printable(String.fromCharCode(b)))} after the rows of ${this.table}`);
          state = LINE;
          out.push(chunk.subarray(run, i + 1));
          run = -1;
          break;
        case LINE:
          if (b === 0x0a || (b === 0x20 && this.line.endsWith(' VALUES') && INSERT_HEAD.test(this.line))) {
            // A whole line, or the head of INSERT INTO `t` VALUES (...),(...); on one line (older dump clients).
            const line = this.line;
            this.line = '';
            this.state = LINE;
            this.endLine(line);
            state = this.state;
            out.push(Buffer.from(line + String.fromCharCode(b), 'latin1'));
          } else if (b < 0x20 || b > 0x7e || this.line.length >= MAX_LINE) {
            this.refuse(b < 0x20 || b > 0x7e ? `the byte 0x${b.toString(16)} outside a string` : `a line of more than ${MAX_LINE} characters outside the rows`);
          } else {
            this.line += String.fromCharCode(b);
          }
          break;
      }
    }
    this.state = state;
    this.number = num;
    if (run >= 0) out.push(chunk.subarray(run, n));
    return out;
  }

  /** The stream has ended: it must end between statements. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.state !== LINE || this.line !== '') this.refuse('it ends inside a statement');
  }
}
