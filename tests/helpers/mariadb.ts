/**
 * A real MariaDB server (Debian's mariadb-server) on a private data directory, socket and port.
 * Fails loudly when the server binaries are missing: .ci/run installs them. `restart` stops it (cleanly or
 * with SIGKILL, as a crash would) and starts it again on the same port and data directory.
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
  /**
   * Stops the server with `signal` (default SIGTERM: a clean shutdown; SIGKILL: a crash, InnoDB recovers at
   * the next start), waits `downMs` (default 0) with it down, then starts it again on the same port, socket and
   * data directory (users, passwords and data kept) and resolves once it accepts connections again.
   */
  restart(opts?: { signal?: 'SIGTERM' | 'SIGKILL'; downMs?: number }): Promise<void>;
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
  execFileSync(installDb, [`--datadir=${datadir}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], {
    stdio: 'ignore',
  });
  const args = [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--user=root',
    `--pid-file=${dir}/mysqld.pid`,
    '--skip-log-bin',
    '--innodb-buffer-pool-size=256M',
  ];
  const exited = (c: ChildProcess) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)));
  /** Starts mariadbd on the data directory; resolves to a root connection (socket) once it accepts them. */
  const launch = async (removeOnFailure: boolean): Promise<{ child: ChildProcess; rootConn: mysql.Connection }> => {
    const child: ChildProcess = spawn(server, args, { stdio: 'ignore' });
    const rootConn = await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          if (removeOnFailure) rmSync(dir, { recursive: true, force: true });
          throw new FinalAnswer(`mariadbd exited with ${child.exitCode ?? child.signalCode}`);
        }
        return mysql.createConnection({ socketPath: socket, user: 'root', multipleStatements: true });
      },
      // A restart after SIGKILL runs InnoDB's crash recovery first.
      removeOnFailure ? 60_000 : 180_000,
      'MariaDB to accept connections',
    ).catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    });
    return { child, rootConn };
  };
  let { child, rootConn } = await launch(true);
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
    async restart(opts = {}) {
      rootConn.destroy();
      child.kill(opts.signal ?? 'SIGTERM');
      await exited(child);
      if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
      ({ child, rootConn } = await launch(false));
    },
    async stop() {
      await rootConn.end().catch(() => undefined);
      child.kill('SIGTERM');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
