/**
 * Which local process is the broker a bench talks to, and how its Go runtime is set (Linux
 * `/proc`). The benches account the broker's CPU and scheduler time, and a second nats-server on
 * the machine (another port) must not be mistaken for it. Elsewhere everything here answers
 * undefined and the benches print no broker figures.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { availableParallelism, networkInterfaces } from 'node:os';
import type { SchedTarget } from './thread-sched.js';

/** Socket inodes listening on `port` (IPv4 and IPv6) from `/proc/net/tcp*`. */
function listeningInodes(port: number): Set<string> {
  const out = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      const local = f[1];
      if (local === undefined || f[3] !== '0A' || f[9] === undefined) continue; // 0A: LISTEN
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) out.add(f[9]);
    }
  }
  return out;
}

/** The pid of the process listening on TCP `port` on this machine, if `/proc` tells (same user or root). */
export function listenerPid(port: number): number | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m !== null && inodes.has(m[1] as string)) return Number(pid);
    }
  }
  return undefined;
}

/** A variable of a process's environment as it was started (`/proc/<pid>/environ`), if readable and set. */
export function environOf(pid: number, name: string): string | undefined {
  let env: string;
  try {
    env = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  for (const kv of env.split('\0')) if (kv.startsWith(`${name}=`)) return kv.slice(name.length + 1);
  return undefined;
}

export type Broker = Readonly<{ pid: number; comm: string; gomaxprocs: string | undefined }>;

/** Whether `host` names this machine: loopback, the wildcard, or an address of one of its interfaces. */
function isLocalHost(host: string): boolean {
  if (host === 'localhost' || host === '0.0.0.0' || host === '::' || host === '::1' || host.startsWith('127.')) return true;
  return Object.values(networkInterfaces()).some((list) => (list ?? []).some((a) => a.address === host));
}

/** The process behind a `nats://host:port` URL when it runs on this machine (loopback or a local address). */
export function localBroker(url: string): Broker | undefined {
  let port: number;
  let host: string;
  try {
    const u = new URL(url.includes('://') ? url : `nats://${url}`);
    port = u.port === '' ? 4222 : Number(u.port);
    host = u.hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
  if (!isLocalHost(host)) return undefined; // a broker elsewhere: a local process on that port is not it
  const pid = listenerPid(port);
  if (pid === undefined) return undefined;
  let comm = '?';
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    // gone meanwhile
  }
  return { pid, comm, gomaxprocs: environOf(pid, 'GOMAXPROCS') };
}

/** The broker as a scheduler-accounting target (`thread-sched.ts`): none when it does not run here. */
export const brokerSchedTargets = (b: Broker | undefined): SchedTarget[] => (b === undefined ? [] : [{ pid: b.pid, label: b.comm, byThread: false }]);

/** One line for a bench's header: which broker process, and how many cores its Go runtime may use. */
export function brokerText(b: Broker | undefined, cores = availableParallelism()): string {
  if (b === undefined) return 'broker process not found on this machine (its CPU is not accounted)';
  return `broker ${b.comm} pid ${b.pid}, GOMAXPROCS ${b.gomaxprocs ?? `unset (all ${cores} cores)`}`;
}
