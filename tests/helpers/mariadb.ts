/**
 * A real MariaDB server (Debian's mariadb-server) on a private data directory, socket and port.
 * Fails loudly when the server binaries are missing: .ci/run installs them.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { freePort, startOnFreePorts } from './ports';
import { FinalAnswer, waitFor } from './wait';

export interface MariaDb {
  host: string;
  port: number;
  /** A user with a password, as real handovers use. */
  user: string;
  password: string;
  uri(database: string): string;
  query(sql: string, params?: unknown[]): Promise<unknown>;
  stop(): Promise<void>;
}

function findBinary(names: string[]): string {
  for (const name of names) {
    for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin']) {
      if (existsSync(path.join(dir, name))) return path.join(dir, name);
    }
  }
  throw new Error(`MariaDB is not installed (none of ${names.join(', ')} found): apt-get install mariadb-server (.ci/run does)`);
}

export async function startMariaDb(): Promise<MariaDb> {
  return startOnFreePorts(startServer);
}

async function startServer(): Promise<MariaDb> {
  const server = findBinary(['mariadbd', 'mysqld']);
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-mariadb-'));
  const datadir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const port = await freePort();
  execFileSync(installDb, [`--datadir=${datadir}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'ignore' });
  const child: ChildProcess = spawn(
    server,
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--user=root',
      `--pid-file=${dir}/mysqld.pid`,
      '--skip-log-bin',
      '--innodb-buffer-pool-size=256M',
    ],
    { stdio: 'ignore' },
  );
  const rootConn = await waitFor(
    async () => {
      if (child.exitCode !== null) {
        rmSync(dir, { recursive: true, force: true });
        throw new FinalAnswer(`mariadbd exited with ${child.exitCode}`);
      }
      return mysql.createConnection({ socketPath: socket, user: 'root', multipleStatements: true });
    },
    60_000,
    'MariaDB to accept connections',
  );
  const user = 'handover';
  const password = 'Pw-' + Math.random().toString(36).slice(2, 12);
  // mariadb-install-db creates anonymous users that shadow TCP logins from localhost: drop them first.
  await rootConn.query(
    `DELETE FROM mysql.global_priv WHERE User = ''; FLUSH PRIVILEGES;
     CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'; GRANT ALL ON *.* TO '${user}'@'%'; FLUSH PRIVILEGES;`,
  );
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    uri: (database) => `mysql://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    query: async (sql, params) => (await rootConn.query(sql, params))[0],
    async stop() {
      await rootConn.end().catch(() => undefined);
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
