/**
 * Where a bar's latency goes, for `bench:decision -- --trace`: when the engine's consumption
 * handed each bar to its asset actor, when the actor's handler returned, when the bar was
 * decided and when its order reached a subscriber — plus every stall of the process's event
 * loop (a 1 ms timer that came late). Bench-only: it wraps the bus the engine is given.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { BatchHandler, Bus, ConsumerSpec } from '../streams/bus.js';
import { summarise } from './latency-stats.js';
import { watchLoop } from './loop-watch.js';
import type { LoopWatch, Stall } from './loop-watch.js';


export type Tracer = Readonly<{
  /** The bus with its `consume` handlers timed (everything else passes through). */
  wrap(bus: Bus): Bus;
  /** Starts watching the event loop. */
  start(): void;
  /** Prints the split of every bar with an order, and of the slowest 1 % (and writes the CPU profile). */
  report(sentAt: ReadonlyMap<string, number>, decidedAt: ReadonlyMap<string, number>, orderAt: ReadonlyMap<string, number>): Promise<void>;
}>;

const idOf = (data: Uint8Array, dec: { decode(b: Uint8Array): string }): string | undefined => {
  const o: unknown = JSON.parse(dec.decode(data));
  return typeof o === 'object' && o !== null && 'id' in o && typeof o.id === 'string' ? o.id : undefined;
};

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };

/** What ran during a stall, from a CPU profile: the most frequent leaf-and-callers of its samples. */
function stallStacks(profile: CpuProfile, toPerfMs: (us: number) => number, stall: Stall): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (id: number): string => {
    const f = byId.get(id)?.callFrame;
    return f === undefined ? '?' : `${f.functionName === '' ? '(anonymous)' : f.functionName} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}`;
  };
  const counts = new Map<string, number>();
  let t = profile.startTime;
  let n = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const at = toPerfMs(t);
    if (at < stall.at || at > stall.at + stall.ms) continue;
    n++;
    const frames: string[] = [];
    for (let id: number | undefined = profile.samples[i]; id !== undefined && frames.length < 3; id = parent.get(id)) frames.push(name(id));
    const key = frames.join(' < ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 4);
  return `${n} samples: ${top.map(([k, c]) => `${c}× ${k}`).join(' | ')}`;
}

type AllocNode = { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: AllocNode[] };
type AllocProfile = { head: AllocNode };

/** The allocating leaf-and-caller pairs of a sampled allocation profile, by bytes. */
function topAllocations(profile: AllocProfile): string {
  const name = (n: AllocNode): string => `${n.callFrame.functionName === '' ? '(anonymous)' : n.callFrame.functionName} ${n.callFrame.url.split('/').pop() ?? ''}:${n.callFrame.lineNumber + 1}`;
  const bytes = new Map<string, number>();
  let total = 0;
  const walk = (n: AllocNode, caller: string): void => {
    const key = `${name(n)} < ${caller}`;
    total += n.selfSize;
    if (n.selfSize > 0) bytes.set(key, (bytes.get(key) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, name(n));
  };
  walk(profile.head, '');
  const top = [...bytes].sort((a, b) => b[1] - a[1]).slice(0, 15);
  return `${(total / 1e6).toFixed(0)} MB in all\n${top.map(([k, b]) => `    ${(b / 1e6).toFixed(1).padStart(7)} MB ${k}`).join('\n')}`;
}

/**
 * `profile`: a file to write a CPU profile of everything from the tracer's creation to its report
 * (and the stalls' stacks are printed); `allocProfile`: a file for the sampled allocations of the
 * same span (collected or not; a `.heapprofile`), with the top allocating stacks printed.
 */
export function createTracer(opts: Readonly<{ profile?: string; allocProfile?: string }> = {}): Tracer {
  const session = opts.profile === undefined && opts.allocProfile === undefined ? undefined : new Session();
  const post = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((res, rej) => session?.post(method, params, (err, out) => (err === null ? res(out) : rej(err))));
  if (session !== undefined) {
    session.connect();
    if (opts.profile !== undefined) void post('Profiler.enable').then(() => post('Profiler.start'));
    if (opts.allocProfile !== undefined) void post('HeapProfiler.startSampling', { includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  const receivedAt = new Map<string, number>();
  const handledAt = new Map<string, number>();
  const batchSizes: number[] = [];
  let loop: LoopWatch | undefined;
  const dec = new TextDecoder();
  const timed =
    (handler: BatchHandler): BatchHandler =>
    (batch) => {
      const now = performance.now();
      const ids: string[] = [];
      for (const d of batch) {
        const id = idOf(d.data, dec);
        if (id !== undefined) {
          receivedAt.set(id, now);
          ids.push(id);
        }
      }
      batchSizes.push(batch.length);
      const r = handler(batch);
      const done = performance.now();
      for (const id of ids) handledAt.set(id, done);
      return r;
    };

  return {
    wrap: (bus) =>
      new Proxy(bus, {
        get(target, key) {
          if (key === 'consume') return (spec: ConsumerSpec, handler: BatchHandler) => target.consume(spec, timed(handler));
          const v: unknown = Reflect.get(target, key);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      }),
    start: () => {
      loop = watchLoop();
    },
    report: async (sentAt, decidedAt, orderAt) => {
      loop?.stop();
      const stalls = loop?.stalls ?? [];
      const gcs = loop?.gcs ?? [];
      const inGc = (x: Stall): number => loop?.gcIn(x) ?? 0;
      type Row = { id: string; total: number; receive: number; handler: number; decide: number; order: number };
      const rows: Row[] = [];
      for (const [id, o] of orderAt) {
        const s = sentAt.get(id);
        const r = receivedAt.get(id);
        const h = handledAt.get(id);
        const d = decidedAt.get(id);
        if (s === undefined || r === undefined || h === undefined || d === undefined) continue;
        rows.push({ id, total: o - s, receive: r - s, handler: h - r, decide: d - h, order: o - d });
      }
      const f = (n: number): string => n.toFixed(2).padStart(8);
      const show = (label: string, rs: readonly Row[]): void => {
        for (const k of ['receive', 'handler', 'decide', 'order'] as const) {
          const s = summarise(rs.map((x) => x[k]));
          console.log(`  ${label} ${k.padEnd(8)} p50 ${f(s.p50)}  p90 ${f(s.p90)}  p99 ${f(s.p99)}  max ${f(s.max)}  mean ${f(rs.reduce((a, x) => a + x[k], 0) / Math.max(1, rs.length))} ms`);
        }
      };
      console.log(`trace: ${rows.length} bars with an order; stages: publish → actor receives (receive), the actor's handler (handler), → decided (decide), decided → order at a subscriber (order)`);
      show('all  ', rows);
      const byTotal = [...rows].sort((a, b) => b.total - a.total);
      const slow = byTotal.slice(0, Math.max(1, Math.ceil(rows.length / 100)));
      show('slow1%', slow);
      const bs = summarise(batchSizes);
      console.log(`  batches ${batchSizes.length}: size p50 ${bs.p50} p99 ${bs.p99} max ${bs.max}`);
      const big = stalls.filter((s) => s.ms >= 10);
      const total = stalls.reduce((a, s) => a + s.ms, 0);
      console.log(`  event-loop stalls > 5 ms: ${stalls.length} (${total.toFixed(0)} ms in all); ≥ 10 ms: ${big.length}; largest ${[...stalls].sort((a, b) => b.ms - a.ms).slice(0, 8).map((s) => s.ms.toFixed(0)).join(', ')} ms`);
      const gcTotal = gcs.reduce((a, g) => a + g.ms, 0);
      const stallGc = stalls.reduce((a, x) => a + inGc(x), 0);
      const gs = summarise(gcs.map((g) => g.ms));
      console.log(
        `  main-thread GC: ${gcs.length} pauses, ${gcTotal.toFixed(0)} ms in all (p50 ${gs.p50.toFixed(1)}, p99 ${gs.p99.toFixed(1)}, max ${gs.max.toFixed(1)} ms); ` +
          `of the stalls' ${total.toFixed(0)} ms, ${stallGc.toFixed(0)} ms were GC`,
      );
      let profile: CpuProfile | undefined;
      if (session !== undefined && opts.profile !== undefined) {
        profile = ((await post('Profiler.stop')) as { profile: CpuProfile }).profile;
        writeFileSync(opts.profile, JSON.stringify(profile));
      }
      if (session !== undefined && opts.allocProfile !== undefined) {
        const sampled = ((await post('HeapProfiler.stopSampling')) as { profile: AllocProfile }).profile;
        writeFileSync(opts.allocProfile, JSON.stringify(sampled));
        console.log(`  sampled allocations, top stacks: ${topAllocations(sampled)}`);
      }
      session?.disconnect();
      // Profile times are µs of the monotonic clock; performance.now() counts from the time origin.
      const offsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();
      const toPerfMs = (us: number): number => us / 1000 - offsetMs;
      for (const x of stalls.filter((y) => y.ms >= 50)) {
        console.log(`  stall of ${x.ms.toFixed(0)} ms: ${inGc(x).toFixed(0)} ms GC, process CPU time meanwhile ${x.cpuMs.toFixed(0)} ms (all threads)`);
        if (profile !== undefined) console.log(`    ${stallStacks(profile, toPerfMs, x)}`);
      }
      // The slowest bars beside the stalls around them.
      for (const r of byTotal.slice(0, 5)) {
        const s = sentAt.get(r.id) as number;
        const near = stalls.filter((x) => x.at + x.ms >= s && x.at <= s + r.total).map((x) => x.ms.toFixed(0));
        const tsOf = r.id.split(':').pop() as string;
        const peers = [...sentAt.keys()].filter((k) => k.endsWith(`:${tsOf}`)).map((k) => {
          const s0 = sentAt.get(k) as number;
          const rc = receivedAt.get(k);
          const dc = decidedAt.get(k);
          return `${k.split(':')[2]} sent ${(s0 - s).toFixed(1)} recv ${rc === undefined ? '-' : (rc - s).toFixed(1)} dec ${dc === undefined ? '-' : (dc - s).toFixed(1)}`;
        });
        console.log(`  slowest ${r.id}: total ${r.total.toFixed(1)} = receive ${r.receive.toFixed(1)} + handler ${r.handler.toFixed(1)} + decide ${r.decide.toFixed(1)} + order ${r.order.toFixed(1)} ms; loop stalls meanwhile: [${near.join(', ')}] ms`);
        console.log(`    same ts: ${peers.join(' | ')}`);
      }
    },
  };
}
