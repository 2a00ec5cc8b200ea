/**
 * A MySQL server of the submitter's own, at the protocol level (mysql2's createServer): it answers whatever its
 * scenario says, as a hostile server or proxy would. The copy service connects to it as to any source: it answers
 * the catalogue queries (information_schema) with the scenario's rows, `SHOW CREATE TABLE` with the scenario's
 * text, the row reads with the scenario's lines, and records every statement it was sent.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import mysql from 'mysql2';

export type Row = Record<string, string | number | null>;

export interface Scenario {
  version?: string;
  /** The names the source lists as its tables (information_schema.TABLES ... TABLE_TYPE = 'BASE TABLE'). */
  tables: string[];
  /** information_schema rows by table (TABLES, COLUMNS, STATISTICS, REFERENTIAL_CONSTRAINTS, KEY_COLUMN_USAGE, CHECK_CONSTRAINTS). */
  catalogue: Partial<
    Record<
      'TABLES' | 'COLUMNS' | 'STATISTICS' | 'REFERENTIAL_CONSTRAINTS' | 'KEY_COLUMN_USAGE' | 'CHECK_CONSTRAINTS' | 'TRIGGERS' | 'VIEWS',
      Row[]
    >
  >;
  /** What `SHOW CREATE TABLE` answers, by table. */
  showCreate?: Record<string, string>;
  /** The LOAD DATA lines the row read answers, by table (none: no rows). */
  lines?: Record<string, string[]>;
  /** An error the row read answers instead of rows (its text, as a hostile server would put it). */
  readError?: string;
}

export interface FakeMysql {
  port: number;
  received: string[];
  close(): Promise<void>;
}

/** The server side of a connection (mysql2 types only the client side). */
interface ServerSide {
  serverHandshake(args: Record<string, unknown>): void;
  writeColumns(columns: Array<Record<string, unknown>>): void;
  writeTextRow(row: Array<string | null>): void;
  writeEof(): void;
  writeOk(): void;
  writeError(args: { message: string; code: number }): void;
  on(event: string, listener: (...args: never[]) => void): void;
  sequenceId: number;
}

const COM_CHANGE_USER = 0x11;

const COLUMN = {
  catalog: 'def',
  schema: '',
  table: '',
  orgTable: '',
  characterSet: 45,
  columnLength: 1 << 24,
  columnType: 253,
  flags: 0,
  decimals: 0,
};

function answer(conn: ServerSide, names: string[], rows: Array<Array<string | number | null>>): void {
  conn.writeColumns(names.map((name) => ({ ...COLUMN, name, orgName: name })));
  for (const row of rows) conn.writeTextRow(row.map((v) => (v === null ? null : String(v))));
  conn.writeEof();
}

const table = (rows: Row[] | undefined) => {
  const list = rows ?? [];
  const names = [...new Set(list.flatMap((r) => Object.keys(r)))];
  return [names.length ? names : ['TABLE_NAME'], list.map((r) => names.map((n) => r[n] ?? null))] as const;
};

export async function startFakeMysql(scenario: Scenario): Promise<FakeMysql> {
  const received: string[] = [];
  let id = 100;
  const server = mysql.createServer((base) => {
    const conn = base as unknown as ServerSide;
    // mysql2's server side keeps counting packets across commands: each answer ends by starting the count again.
    const done = () => {
      conn.sequenceId = 0;
    };
    conn.serverHandshake({
      protocolVersion: 10,
      serverVersion: scenario.version ?? '10.11.19-MariaDB',
      connectionId: id++,
      statusFlags: 2,
      characterSet: 45,
      capabilityFlags: 0xf7ff | 0x80000,
      authCallback: () => {
        conn.writeOk();
        done();
      },
    });
    conn.on('error', () => undefined);
    const respond = (sql: string): void => {
      received.push(sql);
      answerTo(sql);
      done();
    };
    const answerTo = (sql: string): void => {
      const s = sql.trim();
      let m: RegExpExecArray | null;
      if (/^(SET|FLUSH|UNLOCK|LOCK|START TRANSACTION)\b/i.test(s)) return conn.writeOk();
      if (/^SELECT VERSION\(\)/i.test(s)) return answer(conn, ['v'], [[scenario.version ?? '10.11.19-MariaDB']]);
      if (/information_schema\.SCHEMATA/i.test(s)) return answer(conn, ['1'], [[1]]);
      if (/^SELECT TABLE_NAME AS name FROM information_schema\.TABLES .*BASE TABLE/is.test(s))
        return answer(
          conn,
          ['name'],
          scenario.tables.map((t) => [t]),
        );
      if (/^SELECT TABLE_NAME AS name, DATA_LENGTH/i.test(s))
        return answer(
          conn,
          ['name', 'size'],
          scenario.tables.map((t) => [t, 16384]),
        );
      if ((m = /^SELECT \* FROM information_schema\.(\w+)/i.exec(s))) {
        const [names, rows] = table(scenario.catalogue[m[1].toUpperCase() as keyof Scenario['catalogue']]);
        return answer(conn, names, rows);
      }
      if ((m = /^SHOW CREATE TABLE `((?:[^`]|``)*)`/i.exec(s))) {
        const name = m[1].replace(/``/g, '`');
        return answer(conn, ['Table', 'Create Table'], [[name, scenario.showCreate?.[name] ?? `CREATE TABLE \`${name}\` (a int)`]]);
      }
      if (/^SELECT CAST\(MIN/i.test(s)) return answer(conn, ['lo', 'hi'], [[null, null]]);
      if ((m = /^SELECT CONCAT_WS\(.* FROM `((?:[^`]|``)*)`/is.exec(s))) {
        if (scenario.readError) return conn.writeError({ message: scenario.readError, code: 1105 });
        const name = m[1].replace(/``/g, '`');
        return answer(
          conn,
          ['line'],
          (scenario.lines?.[name] ?? []).map((l) => [l]),
        );
      }
      if ((m = /^CHECKSUM TABLE `((?:[^`]|``)*)`/i.exec(s)))
        return answer(conn, ['Table', 'Checksum'], [[m[1], scenario.lines?.[m[1]]?.length ? 1 : 0]]);
      return conn.writeError({ message: `the fake server does not answer ${s.slice(0, 60)}`, code: 1064 });
    };
    conn.on('query', respond);
    // mysql2's server hands a SET (and PREPARE) over as a prepare: answered as a query.
    conn.on('stmt_prepare', respond);
    // COM_CHANGE_USER (the client's changeUser, to set its default database): accepted.
    conn.on('packet', (_packet: unknown, _known: boolean, code: number) => {
      if (code !== COM_CHANGE_USER) return;
      received.push('COM_CHANGE_USER');
      conn.writeOk();
      done();
    });
  });
  const net = (server as unknown as { _server: Server })._server;
  const sockets = new Set<Socket>();
  net.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (net.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        net.close(() => resolve());
      }),
  };
}
