import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';

/**
 * A stand-in for the gateway for browser tests of the page alone: serves the built page from
 * `dist`, answers the token probe (`GET /ws` → 426) and takes every websocket upgrade on `/ws`;
 * the test writes the frames (snapshots, deltas, errors) and closes sockets to force reconnects.
 */
export type FakeFeed = Readonly<{
  url: string;
  /** Every socket the page opened, oldest first, with the subscribe ops it sent. */
  sockets: readonly Readonly<{ ws: WebSocket; subscribed: Set<string> }>[];
  /** Resolves once `n` sockets have subscribed to every one of `topics`. */
  subscribed(n: number, topics: readonly string[]): Promise<void>;
  send(frame: unknown): void;
  /**
   * What the `subscribed` of `topic` says from now on: `snapshot: n` (how many snapshot frames
   * the test will send after it), or nothing, as an older server (the default).
   */
  announce(topic: string, snapshot: number | undefined): void;
  /**
   * From now on every websocket upgrade is refused with `status`, and the token probe (`GET /ws`)
   * answers it with `headers` (as the gateway does for a locked-out address: 429, Retry-After);
   * null takes upgrades again.
   */
  refuse(status: number | null, headers?: Readonly<Record<string, string>>): void;
  /** Upgrades refused so far. */
  refusedUpgrades(): number;
  close(): Promise<void>;
}>;

const TYPES: Readonly<Record<string, string>> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

export async function startFakeFeed(dist: string): Promise<FakeFeed> {
  const sockets: { ws: WebSocket; subscribed: Set<string> }[] = [];
  const waiters: Array<() => void> = [];
  const announced = new Map<string, number>();
  let refusal: { status: number; headers: Readonly<Record<string, string>> } | null = null;
  let refusedUpgrades = 0;
  const http = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/ws') {
      if (refusal !== null) res.writeHead(refusal.status, refusal.headers).end();
      else res.writeHead(426).end();
      return;
    }
    const file = path === '/' ? 'index.html' : path.slice(1);
    readFile(join(dist, file)).then(
      (body) => res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  const wss = new WebSocketServer({
    server: http,
    path: '/ws',
    verifyClient: (_info, done) => {
      if (refusal === null) return done(true);
      refusedUpgrades++;
      done(false, refusal.status);
    },
  });
  wss.on('connection', (ws) => {
    const s = { ws, subscribed: new Set<string>() };
    sockets.push(s);
    ws.on('message', (raw) => {
      const op = JSON.parse(String(raw)) as { op: string; topic?: string };
      if (op.op === 'subscribe' && op.topic !== undefined) {
        s.subscribed.add(op.topic);
        const n = announced.get(op.topic);
        ws.send(JSON.stringify({ type: 'subscribed', topic: op.topic, symbols: null, ...(n === undefined ? {} : { snapshot: n }) }));
        for (const w of waiters.splice(0)) w();
      }
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    sockets,
    subscribed: async (n, topics) => {
      const done = (): boolean => sockets.length >= n && topics.every((t) => sockets[n - 1]?.subscribed.has(t) === true);
      while (!done()) await new Promise<void>((r) => waiters.push(r));
    },
    send: (frame) => sockets.at(-1)?.ws.send(JSON.stringify(frame)),
    announce: (topic, snapshot) => {
      if (snapshot === undefined) announced.delete(topic);
      else announced.set(topic, snapshot);
    },
    refuse: (status, headers = {}) => {
      refusal = status === null ? null : { status, headers };
    },
    refusedUpgrades: () => refusedUpgrades,
    close: async () => {
      for (const s of sockets) s.ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
