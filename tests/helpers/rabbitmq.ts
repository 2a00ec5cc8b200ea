/**
 * A real RabbitMQ broker for tests (Debian's rabbitmq-server): private node name, ports, data and
 * Erlang port mapper, started as this user (not through the packaged wrapper, which switches user),
 * ready once an AMQP client can connect. A user with a password, so tests can look for it leaking.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { freePort, startOnFreePorts } from './ports';
import { FinalAnswer, waitFor } from './wait';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export interface RabbitMq {
  /** amqp://user:password@127.0.0.1:port */
  url: string;
  password: string;
  stop(): Promise<void>;
}

export function startRabbitMq(): Promise<RabbitMq> {
  return startOnFreePorts(startBroker);
}

async function startBroker(): Promise<RabbitMq> {
  if (!existsSync(SERVER)) throw new Error(`RabbitMQ is not installed (${SERVER} missing): apt-get install rabbitmq-server (.ci/run does)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-rabbitmq-'));
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const password = 'Rq-' + Math.random().toString(36).slice(2, 12);
  writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(
    path.join(dir, 'rabbitmq.conf'),
    [`listeners.tcp.default = 127.0.0.1:${port}`, 'default_user = handover', `default_pass = ${password}`, 'default_vhost = /'].join('\n') +
      '\n',
  );
  const env = {
    ...process.env,
    HOME: dir, // the Erlang cookie
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: `handover-test-${port}@localhost`,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
  };
  // Our own port mapper in the foreground, so stopping the test broker leaves no daemon behind.
  const epmd = spawn('epmd', ['-port', String(epmdPort)], { env, stdio: 'ignore' });
  // Its own process group: the script starts the Erlang VM as a child, and both must stop.
  const server: ChildProcess = spawn(SERVER, [], { env, stdio: 'ignore', detached: true });
  const url = `amqp://handover:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const stop = async () => {
    const exited = (p: ChildProcess) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await exited(server);
    epmd.kill('SIGTERM');
    await exited(epmd);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (server.exitCode !== null) throw new FinalAnswer(`rabbitmq-server exited with ${server.exitCode} (logs in ${dir}/log)`);
        const connection = await amqp.connect(url, { timeout: 1000 });
        await connection.close();
        return true;
      },
      90_000,
      'RabbitMQ to accept AMQP connections',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, password, stop };
}
