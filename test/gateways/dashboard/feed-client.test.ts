import { describe, expect, it } from 'vitest';
import { createFeedClient } from '../../../gateways/dashboard/src/feed-client.js';
import type { ConnectionStatus, FeedUpdate, ProbeVerdict, SocketHandlers, Timers } from '../../../gateways/dashboard/src/feed-client.js';
import { decodeServerMessage } from '../../../gateways/dashboard/src/feed-protocol.js';

/** A manual clock: timers fire only when the test advances time. */
function manualTimers(): Timers & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => {
      timers.delete(h as number);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
    pending: () => timers.size,
  };
}

type FakeSocket = { url: string; h: SocketHandlers; sent: unknown[]; closed: boolean; push(m: unknown): void };

function harness(opts: { staleAfterMs?: number; pingAfterMs?: number; probe?: () => Promise<ProbeVerdict>; probeTimeoutMs?: number } = {}) {
  const timers = manualTimers();
  const sockets: FakeSocket[] = [];
  const updates: FeedUpdate[] = [];
  const statuses: ConnectionStatus[] = [];
  const invalid: string[] = [];
  const subscribed: Array<[string, number | undefined]> = [];
  const client = createFeedClient({
    url: 'ws://dash/ws?token=v',
    timers,
    jitter: 0,
    initialBackoffMs: 100,
    maxBackoffMs: 1000,
    healthyAfterMs: 1000,
    ...opts,
    openSocket: (url, h) => {
      const s: FakeSocket = {
        url,
        h,
        sent: [],
        closed: false,
        push: (m) => h.message(JSON.stringify(m)),
      };
      sockets.push(s);
      return { send: (f) => s.sent.push(JSON.parse(f)), close: () => (s.closed = true) };
    },
    onUpdate: (u) => updates.push(u),
    onStatus: (s) => statuses.push(s),
    onInvalid: (r) => invalid.push(r),
    onSubscribed: (topic, n) => subscribed.push([topic, n]),
  });
  const last = (): FakeSocket => sockets.at(-1) as FakeSocket;
  return { timers, sockets, updates, statuses, invalid, subscribed, client, last };
}

/** Lets settled promises (the probe's answer) run their callbacks. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

const delta = (topic: string, key: string, seq: number, data: unknown = { seq }) => ({ type: 'delta', topic, key, seq, data });
const snapshot = (topic: string, key: string, seq: number, data: unknown = { seq }) => ({ type: 'snapshot', topic, key, seq, data });

/** A probe that says every token is refused, and counts how often it was asked. */
function refusingProbe(): { probe: () => Promise<'refused'>; asked: () => number } {
  let n = 0;
  return {
    probe: async () => {
      n++;
      return 'refused';
    },
    asked: () => n,
  };
}

describe('dashboard feed client', () => {
  it('subscribes once the socket opens, and sends later subscriptions at once', () => {
    const t = harness();
    t.client.subscribe('md', ['BTC/USDT']);
    expect(t.last().sent).toEqual([]);
    t.last().h.open();
    expect(t.client.status().state).toBe('open');
    t.client.subscribe('risk');
    expect(t.last().sent).toEqual([
      { op: 'subscribe', topic: 'md', symbols: ['BTC/USDT'] },
      { op: 'subscribe', topic: 'risk' },
    ]);
    expect(t.last().url).toBe('ws://dash/ws?token=v');
  });

  it('applies snapshots, then only deltas with a seq above the last one seen for the topic', () => {
    const t = harness();
    t.client.subscribe('predictions');
    t.client.subscribe('risk');
    t.last().h.open();
    const s = t.last();
    s.push(snapshot('predictions', 'BTC/USDT', 10));
    s.push(snapshot('predictions', 'ETH/USDT', 7));
    s.push(delta('predictions', 'ETH/USDT', 9)); // at or below 10: already covered
    s.push(delta('predictions', 'ETH/USDT', 10));
    s.push(delta('predictions', 'BTC/USDT', 11));
    s.push(delta('predictions', 'BTC/USDT', 11)); // duplicate
    s.push(delta('risk', 'acct', 3)); // seqs are per topic
    s.push(delta('predictions', 'ETH/USDT', 14)); // gaps are normal (symbol filters)
    expect(t.updates.map((u) => `${u.kind} ${u.topic} ${u.key} ${u.seq}`)).toEqual([
      'snapshot predictions BTC/USDT 10',
      'snapshot predictions ETH/USDT 7',
      'delta predictions BTC/USDT 11',
      'delta risk acct 3',
      'delta predictions ETH/USDT 14',
    ]);
    expect(t.client.lastSeq('predictions')).toBe(14);
    expect(t.client.stats()).toMatchObject({ applied: 5, stale: 3, invalid: 0 });
  });

  it('hands each message over once per subscription: a resubscribe on the open connection does not repeat the newest of a key', () => {
    const t = harness();
    t.client.subscribe('orders', ['BTC/USDT']);
    t.last().h.open();
    const s = t.last();
    s.push(snapshot('orders', 'BTC/USDT', 3));
    s.push(delta('orders', 'BTC/USDT', 5));
    // The page follows every symbol now: the server's snapshot holds BTC's orders and fills again,
    // seq 3 and 5 among them (the server numbers each message once), and ETH's.
    t.client.subscribe('orders');
    s.push(snapshot('orders', 'BTC/USDT', 3));
    s.push(snapshot('orders', 'ETH/USDT', 4));
    s.push(snapshot('orders', 'BTC/USDT', 5));
    s.push(delta('orders', 'BTC/USDT', 6));
    expect(t.updates.map((u) => `${u.kind} ${u.key} ${u.seq}`)).toEqual(['snapshot BTC/USDT 3', 'delta BTC/USDT 5', 'snapshot ETH/USDT 4', 'delta BTC/USDT 6']);
    // After an unsubscribe the topic starts over: the next subscribe's snapshot is applied whole.
    t.client.unsubscribe('orders');
    t.client.subscribe('orders');
    s.push(snapshot('orders', 'BTC/USDT', 6));
    expect(t.updates.map((u) => `${u.kind} ${u.key} ${u.seq}`).slice(4)).toEqual(['snapshot BTC/USDT 6']);
  });

  it("tells one symbol's venues apart: adding binance's BTC/USDT beside kraken's applies binance's older snapshot frames", () => {
    const t = harness();
    t.client.subscribe('md', ['kraken:BTC/USDT']);
    t.last().h.open();
    const s = t.last();
    const venued = (m: Record<string, unknown>, venue: string) => ({ ...m, venue });
    s.push(venued(snapshot('md', 'BTC/USDT', 7), 'kraken'));
    s.push(venued(delta('md', 'BTC/USDT', 9), 'kraken'));
    // Binance's BTC/USDT, relayed before kraken's newest (seq 3 and 5), comes with the subscribe that adds it:
    // never applied, though its key is kraken's too (the feed's key is the symbol on every venue).
    t.client.subscribe('md', ['binance:BTC/USDT']);
    s.push(venued(snapshot('md', 'BTC/USDT', 3), 'binance'));
    s.push(venued(snapshot('md', 'BTC/USDT', 5), 'binance'));
    // And a repeat of kraken's is still dropped.
    s.push(venued(snapshot('md', 'BTC/USDT', 9), 'kraken'));
    expect(t.updates.map((u) => `${u.kind} ${u.key} ${u.seq}`)).toEqual(['snapshot BTC/USDT 7', 'delta BTC/USDT 9', 'snapshot BTC/USDT 3', 'snapshot BTC/USDT 5']);
    expect(t.client.stats()).toMatchObject({ applied: 4, stale: 1 });
  });

  it('refuses frames that are not the protocol without dropping the connection', () => {
    const t = harness();
    t.client.subscribe('md');
    t.last().h.open();
    t.last().h.message('not json');
    t.last().h.message(JSON.stringify({ type: 'delta', topic: 'md', key: 'k', seq: -1, data: {} }));
    t.last().h.message(JSON.stringify({ type: 'delta', topic: 'nope', key: 'k', seq: 1, data: {} }));
    t.last().push(delta('md', 'k', 1));
    expect(t.invalid).toHaveLength(3);
    expect(t.invalid[0]).toBe('frame is not valid JSON');
    expect(t.updates).toHaveLength(1);
    expect(t.client.status().state).toBe('open');
  });

  it('reconnects with exponential backoff after a close, resubscribes, and resyncs from the new snapshots', () => {
    const t = harness();
    t.client.subscribe('risk');
    t.client.subscribe('pnl');
    t.last().h.open();
    t.last().push(delta('risk', 'acct', 500));
    t.last().h.close(1006, '');
    expect(t.client.status()).toMatchObject({ state: 'reconnecting', attempt: 1, lastError: 'closed (1006)' });
    t.timers.advance(99);
    expect(t.sockets).toHaveLength(1);
    t.timers.advance(1);
    expect(t.sockets).toHaveLength(2);
    // The server is down: each failure doubles the wait, up to the cap.
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = t.timers.now();
      t.last().h.close(1006, '');
      const retryAt = t.client.status().retryAt as number;
      waits.push(retryAt - before);
      t.timers.advance(retryAt - before);
    }
    expect(waits).toEqual([200, 400, 800, 1000, 1000]);
    expect(t.sockets).toHaveLength(7);
    // A restarted server numbers from 1 again: the snapshot is the new truth.
    t.last().h.open();
    expect(t.client.status()).toMatchObject({ state: 'open', attempt: 6, lastError: null });
    expect(t.last().sent).toEqual([
      { op: 'subscribe', topic: 'risk' },
      { op: 'subscribe', topic: 'pnl' },
    ]);
    t.last().push(snapshot('risk', 'acct', 2, { state: 'HALTED' }));
    t.last().push(delta('risk', 'acct', 3, { state: 'ACTIVE' }));
    expect(t.updates.slice(-2).map((u) => [u.kind, u.seq, u.data])).toEqual([
      ['snapshot', 2, { state: 'HALTED' }],
      ['delta', 3, { state: 'ACTIVE' }],
    ]);
    expect(t.client.stats().reconnects).toBe(6);
    // Open for healthyAfterMs: the backoff starts over.
    t.timers.advance(999);
    expect(t.client.status().attempt).toBe(6);
    t.timers.advance(1);
    expect(t.client.status().attempt).toBe(0);
    t.last().h.close(1006, '');
    expect(t.client.status().retryAt).toBe(t.timers.now() + 100);
  });

  it("passes each subscribed's snapshot count to the page (undefined from a server that does not send it); refuses a bad count", () => {
    const t = harness();
    t.client.subscribe('actors');
    t.client.subscribe('pnl');
    t.last().h.open();
    t.last().push({ type: 'subscribed', topic: 'actors', symbols: null, snapshot: 0 });
    t.last().push({ type: 'subscribed', topic: 'pnl', symbols: null, snapshot: 3 });
    t.last().push({ type: 'subscribed', topic: 'pnl', symbols: null });
    t.last().push({ type: 'subscribed', topic: 'orders', symbols: null, snapshot: 0 }); // not followed
    t.last().push({ type: 'subscribed', topic: 'actors', symbols: null, snapshot: -1 });
    expect(t.subscribed).toEqual([
      ['actors', 0],
      ['pnl', 3],
      ['pnl', undefined],
    ]);
    expect(t.invalid).toHaveLength(1);
    expect(t.invalid[0]).toMatch(/^snapshot: /);
  });

  it('keeps backing off from a server that closes each connection right after the open (4008, 1008)', () => {
    const t = harness();
    t.client.subscribe('md');
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      t.last().h.open();
      t.last().push({ type: 'status', upstream: 'up', since: 1 });
      t.last().push({ type: 'subscribed', topic: 'md', symbols: null });
      t.timers.advance(50);
      t.last().h.close(i % 2 === 0 ? 4008 : 1008, i % 2 === 0 ? 'slow consumer' : 'rate limit');
      const wait = (t.client.status().retryAt as number) - t.timers.now();
      waits.push(wait);
      t.timers.advance(wait);
    }
    expect(waits).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(t.client.status().lastError).toBe('closed (1008: rate limit)');
  });

  it('shows the upstream status: stale while the gateway has lost NATS, and the gap once it is back', () => {
    const t = harness();
    t.client.subscribe('orders');
    t.last().h.open();
    expect(t.client.status().upstream).toBeNull();
    t.last().push({ type: 'status', upstream: 'up', since: 1000 });
    expect(t.client.status()).toMatchObject({ upstream: 'up', upstreamSince: 1000, gapAt: null });
    t.last().push({ type: 'status', upstream: 'down', since: 2000 });
    expect(t.client.status()).toMatchObject({ state: 'open', upstream: 'down', upstreamSince: 2000, gapAt: null });
    t.last().push({ type: 'status', upstream: 'up', since: 3000, gap: true });
    expect(t.client.status()).toMatchObject({ upstream: 'up', upstreamSince: 3000, gapAt: 3000 });
    expect(t.invalid).toEqual([]);
    // A new connection knows nothing of the upstream until its gateway says.
    t.last().h.close(1006, '');
    expect(t.client.status()).toMatchObject({ upstream: null, upstreamSince: null, gapAt: null });
  });

  it('pings a quiet connection and replaces one that stays silent', () => {
    const t = harness({ pingAfterMs: 1000, staleAfterMs: 3000 });
    t.client.subscribe('md');
    t.last().h.open();
    t.timers.advance(500);
    t.last().push({ type: 'heartbeat', ts: 1 });
    t.timers.advance(999);
    expect(t.last().sent.filter((m) => (m as { op: string }).op === 'ping')).toHaveLength(0);
    t.timers.advance(1);
    expect(t.last().sent.filter((m) => (m as { op: string }).op === 'ping')).toHaveLength(1);
    t.timers.advance(1999);
    expect(t.sockets).toHaveLength(1);
    t.timers.advance(1);
    expect(t.sockets[0]?.closed).toBe(true);
    expect(t.client.status().state).toBe('reconnecting');
    expect(t.client.status().lastError).toBe('no message for 3000 ms');
    // Events of the abandoned socket change nothing.
    t.sockets[0]?.push(delta('md', 'k', 1));
    t.sockets[0]?.h.close(1000, '');
    expect(t.updates).toEqual([]);
    t.timers.advance(100);
    expect(t.sockets).toHaveLength(2);
  });

  it('reports server errors, ignores topics it left, and stops for good on close', () => {
    const t = harness();
    t.client.subscribe('md');
    t.client.subscribe('orders');
    t.last().h.open();
    t.last().push({ type: 'error', code: 'BAD_TOPIC', reason: 'no such topic' });
    expect(t.client.status().lastError).toBe('BAD_TOPIC: no such topic');
    t.client.unsubscribe('orders');
    expect(t.last().sent.at(-1)).toEqual({ op: 'unsubscribe', topic: 'orders' });
    t.last().push(delta('orders', 'o', 1));
    expect(t.updates).toEqual([]);
    t.client.close();
    expect(t.last().closed).toBe(true);
    expect(t.client.status().state).toBe('closed');
    t.last().h.close(1000, '');
    t.timers.advance(60_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.timers.pending()).toBe(0);
  });

  it('refuses oversize frames unread', () => {
    const r = decodeServerMessage(`{"type":"heartbeat","ts":1,"pad":"${'x'.repeat(1_000_001)}"}`);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/exceeds 1000000/) as unknown });
  });

  it('resubscribes after a reconnect to every symbol it was asked for, as the server adds them up', () => {
    const t = harness();
    t.client.subscribe('md', ['BTC/USDT']);
    t.client.subscribe('features', ['BTC/USDT']);
    t.client.subscribe('orders');
    t.last().h.open();
    t.client.subscribe('md', ['ETH/USDT', 'BTC/USDT']);
    t.client.subscribe('features'); // every symbol: what was named before no longer narrows it
    t.client.subscribe('orders', ['SOL/USDT']); // already every symbol: stays so
    // Only what a call adds goes out: the server adds it to what it holds.
    expect(t.last().sent.slice(3)).toEqual([
      { op: 'subscribe', topic: 'md', symbols: ['ETH/USDT', 'BTC/USDT'] },
      { op: 'subscribe', topic: 'features' },
      { op: 'subscribe', topic: 'orders', symbols: ['SOL/USDT'] },
    ]);
    t.last().h.close(1006, '');
    t.timers.advance(100);
    t.last().h.open();
    expect(t.last().sent).toEqual([
      { op: 'subscribe', topic: 'md', symbols: ['BTC/USDT', 'ETH/USDT'] },
      { op: 'subscribe', topic: 'features' },
      { op: 'subscribe', topic: 'orders' },
    ]);
    // After an unsubscribe the topic starts over.
    t.client.unsubscribe('md');
    t.client.subscribe('md', ['SOL/USDT']);
    t.last().h.close(1006, '');
    t.timers.advance(200);
    t.last().h.open();
    expect(t.last().sent).toContainEqual({ op: 'subscribe', topic: 'md', symbols: ['SOL/USDT'] });
  });

  it('stops for good when a socket that never opened had its token refused (state refused, no more attempts)', async () => {
    const refused = refusingProbe();
    const t = harness({ probe: refused.probe });
    t.client.subscribe('md');
    t.last().h.close(1006, '');
    await settle();
    expect(refused.asked()).toBe(1);
    expect(t.client.status()).toMatchObject({ state: 'refused', lastError: 'viewer token refused', retryAt: null });
    expect(t.statuses.at(-1)?.state).toBe('refused');
    t.timers.advance(60_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.timers.pending()).toBe(0);
    // Closing the page's client afterwards keeps the reason it stopped.
    t.client.close();
    expect(t.client.status().state).toBe('refused');
  });

  it('asks the probe only about sockets that never opened', async () => {
    const refused = refusingProbe();
    const t = harness({ probe: refused.probe });
    t.client.subscribe('md');
    t.last().h.open();
    t.last().h.close(1008, 'rate limit');
    await settle();
    expect(refused.asked()).toBe(0);
    expect(t.client.status()).toMatchObject({ state: 'reconnecting', attempt: 1 });
    t.timers.advance(100);
    expect(t.sockets).toHaveLength(2);
  });

  it('keeps reconnecting when the probe accepts the token, does not know, throws, rejects or never answers', async () => {
    const probes: Array<[string, () => Promise<ProbeVerdict>]> = [
      ['accepted', async () => 'accepted'],
      ['unknown', async () => 'unknown'],
      [
        'throws',
        () => {
          throw new Error('fetch is not a function');
        },
      ],
      ['rejects', () => Promise.reject(new TypeError('Failed to fetch'))],
      ['hangs', () => new Promise<ProbeVerdict>(() => {})],
    ];
    for (const [name, probe] of probes) {
      const t = harness({ probe, probeTimeoutMs: 2000 });
      t.client.subscribe('md');
      for (let i = 0; i < 3; i++) {
        t.last().h.close(1006, '');
        await settle();
        if (name === 'hangs') {
          expect(t.client.status().lastError, name).toBe('closed (1006)');
          t.timers.advance(1999);
          expect(t.client.status().retryAt, name).toBeNull();
          t.timers.advance(1);
        }
        expect(t.client.status(), name).toMatchObject({ state: 'reconnecting', attempt: i + 1, lastError: 'closed (1006)' });
        t.timers.advance((t.client.status().retryAt as number) - t.timers.now());
        expect(t.sockets, name).toHaveLength(i + 2);
      }
      t.last().h.open();
      expect(t.client.status().state, name).toBe('open');
    }
  });

  it('waits at least Retry-After when the gateway locked the address out for failed logins (state locked-out), then asks again', async () => {
    const answers: ProbeVerdict[] = [{ lockedOutMs: 30_000 }, { lockedOutMs: 30_000 }, 'refused'];
    let asked = 0;
    const t = harness({ probe: async () => answers[asked++] ?? 'unknown' });
    t.client.subscribe('md');
    t.last().h.close(1006, '');
    await settle();
    expect(t.client.status()).toMatchObject({ state: 'locked-out', attempt: 1, retryAt: 30_000 });
    expect(t.client.status().lastError).toBe('viewer token refused, and this address is locked out for failed logins for 30 s (Retry-After): check the token (a valid one is accepted even now)');
    // The backoff (100 ms, then 200 …) would have tried many times by now: not one attempt.
    t.timers.advance(29_999);
    expect(t.sockets).toHaveLength(1);
    t.timers.advance(1);
    expect(t.sockets).toHaveLength(2);
    expect(t.client.status().state).toBe('reconnecting');
    // Asked again: still locked out, then (the window over) a plain refusal stops it.
    t.last().h.close(1006, '');
    await settle();
    expect(t.client.status()).toMatchObject({ state: 'locked-out', attempt: 2, retryAt: 60_000 });
    t.timers.advance(30_000);
    expect(t.sockets).toHaveLength(3);
    t.last().h.close(1006, '');
    await settle();
    expect(asked).toBe(3);
    expect(t.client.status()).toMatchObject({ state: 'refused', lastError: 'viewer token refused' });
  });

  it('takes the backoff when it is longer than Retry-After, or when a 429 says no Retry-After', async () => {
    const t = harness({ probe: async () => ({ lockedOutMs: 50 }) });
    t.last().h.close(1006, '');
    await settle();
    expect(t.client.status()).toMatchObject({ state: 'locked-out', retryAt: 100 });
    const u = harness({ probe: async () => ({ lockedOutMs: null }) });
    u.last().h.close(1006, '');
    await settle();
    expect(u.client.status()).toMatchObject({ state: 'locked-out', retryAt: 100 });
    expect(u.client.status().lastError).toBe('viewer token refused, and this address is locked out for failed logins: check the token (a valid one is accepted even now)');
    u.timers.advance(100);
    expect(u.sockets).toHaveLength(2);
  });

  it('ignores a probe answer that comes after its timeout, or after close', async () => {
    let answer: ((v: ProbeVerdict) => void) | undefined;
    const t = harness({ probe: () => new Promise<ProbeVerdict>((r) => (answer = r)), probeTimeoutMs: 1000 });
    t.last().h.close(1006, '');
    t.timers.advance(1000);
    expect(t.client.status()).toMatchObject({ state: 'reconnecting', attempt: 1 });
    answer?.('refused');
    await settle();
    expect(t.client.status().state).toBe('reconnecting');
    t.timers.advance(100);
    expect(t.sockets).toHaveLength(2);
    // Closed while the probe runs: nothing is left pending, and its answer changes nothing.
    t.last().h.close(1006, '');
    t.client.close();
    expect(t.timers.pending()).toBe(0);
    answer?.('refused');
    await settle();
    expect(t.client.status().state).toBe('closed');
    expect(t.timers.pending()).toBe(0);
  });
});
