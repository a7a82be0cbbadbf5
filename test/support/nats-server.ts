import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** The Debian nats-server; tests that need their own server (restarts, a config of ours) start it. */
export const NATS_SERVER = process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server';

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** Ports handed to test servers: below Linux's ephemeral range (32768–60999). */
const FIRST_PORT = 20_000;
const PORTS = 12_000;
let nextPort = FIRST_PORT + ((process.pid * 7_919) % PORTS);

/**
 * A port free now, for a test's own nats-server. Taken below the ephemeral range: a port from
 * `listen(0)` is one the kernel also gives outgoing connections, so a test that stops its server
 * and starts it again on the same port could find it taken by another test's client meanwhile
 * (seen: "bind: address already in use" on the restart).
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < PORTS; i++) {
    const port = nextPort;
    nextPort = FIRST_PORT + ((nextPort - FIRST_PORT + 1) % PORTS);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${FIRST_PORT}–${FIRST_PORT + PORTS - 1}`);
}

/** Starts nats-server with `args` and waits until it listens on `port`; fails loudly if it exits first. */
export async function startNatsServer(port: number, args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<ChildProcess> {
  const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = performance.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}: ${stderr}`);
    // Probed by connecting, never by binding the port: a probe that listened on it for a moment
    // could take it just as nats-server binds (seen in CI: 'bind: address already in use' on a
    // server slowed by restoring its JetStream store).
    const up = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (up) return child;
    if (performance.now() > deadline) throw new Error(`nats-server did not start on ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const stopNatsServer = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
