import { describe, expect, it } from 'vitest';
import { createCheckpoints } from '../../actors/asset-checkpoints.js';
import type { CheckpointPlan } from '../../actors/asset-checkpoints.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import type { ActorSnapshot } from '../../state/feature-store.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { settled } from '../support/settled.js';

const vector = (i: number): FeatureVector => ({ type: 'feat.vector', v: 1, id: `f:${i}`, venue: 'binance', symbol: 'BTC/USDT', ts: i, source: `b:${i}`, values: { x: i } });

/** A checkpointer over a counter "state", with every save recorded and each save's promise in the test's hands. */
function rig(plan: CheckpointPlan, opts: { failSave?: boolean; covered?: (prompt: boolean) => Promise<void> } = {}) {
  const clock = createSimulatedClock(0);
  let state = 0;
  const saves: { vectors: string[]; seq: number }[] = [];
  const saved: number[] = [];
  const failures: unknown[] = [];
  const cp = createCheckpoints(
    {
      clock,
      snapshot: (): ActorSnapshot => ({ version: 1, streamSeq: state, ts: state, state: {} }),
      ...(opts.covered !== undefined ? { covered: opts.covered } : {}),
      save: async (vectors, snap) => {
        if (opts.failSave === true) throw new Error('store down');
        saves.push({ vectors: vectors.map((v) => v.id), seq: snap.streamSeq });
      },
      saved: (snap) => void saved.push(snap.streamSeq),
      failed: (e) => void failures.push(e),
    },
    plan,
  );
  /** Handles a batch of `n` messages (state moves by n, one vector per message). */
  const batch = (n: number, committed: Promise<void> = Promise.resolve()) => {
    const vs: FeatureVector[] = [];
    for (let i = 0; i < n; i++) vs.push(vector(++state));
    return cp.batch(n, vs, committed);
  };
  return { clock, cp, batch, saves, saved, failures };
}

describe('asset actor checkpoints', () => {
  it('saves after every batch when no interval is set, with one promise that resolves once saved', async () => {
    const r = rig({ messages: 16, ms: undefined });
    const d1 = r.batch(2);
    const d2 = r.batch(1);
    expect(d1.checkpointed).toBeUndefined();
    await d2.committed;
    await d1.committed;
    expect(r.saves).toEqual([
      { vectors: ['f:1', 'f:2'], seq: 2 },
      { vectors: ['f:3'], seq: 3 },
    ]);
    expect(r.saved).toEqual([2, 3]);
  });

  it('holds small batches until the interval has passed on the clock, then saves them all with one snapshot', async () => {
    const r = rig({ messages: 16, ms: 200 });
    const ds = [r.batch(1), r.batch(1), r.batch(1)];
    for (const d of ds) await d.committed; // effects stored: the consumption may go on
    expect(await settled(ds[2]?.checkpointed as Promise<void>)).toBe(false);
    expect(r.saves).toEqual([]);
    r.clock.advanceBy(199);
    await new Promise((res) => setImmediate(res));
    expect(r.saves).toEqual([]);
    r.clock.advanceBy(1); // the timer armed by the first batch fires
    for (const d of ds) await d.checkpointed;
    expect(r.saves).toEqual([{ vectors: ['f:1', 'f:2', 'f:3'], seq: 3 }]);
  });

  it('saves at once when the messages since the last save reach the limit, and otherwise when the interval since the last save has passed', async () => {
    const r = rig({ messages: 4, ms: 1_000 });
    r.batch(3);
    const d = r.batch(1); // 4 messages
    await d.checkpointed;
    expect(r.saves).toEqual([{ vectors: ['f:1', 'f:2', 'f:3', 'f:4'], seq: 4 }]);
    r.clock.advanceTo(500);
    const quiet = r.batch(1); // the interval runs from the last save (at 0): due at 1000
    r.clock.advanceTo(999);
    await new Promise((res) => setImmediate(res));
    expect(r.saves).toHaveLength(1);
    r.clock.advanceTo(1_000);
    await quiet.checkpointed;
    expect(r.saves[1]).toEqual({ vectors: ['f:5'], seq: 5 });
    r.clock.advanceTo(2_500); // no timer pending: the next batch finds the interval passed
    const late = r.batch(1);
    await late.checkpointed;
    expect(r.saves[2]).toEqual({ vectors: ['f:6'], seq: 6 });
  });

  it('writes a checkpoint only after the newest batch it covers is committed', async () => {
    const r = rig({ messages: 2, ms: 1_000 });
    let commit = (): void => {};
    const slow = new Promise<void>((res) => (commit = res));
    r.batch(1);
    const d = r.batch(1, slow);
    expect(await settled(d.checkpointed as Promise<void>)).toBe(false);
    expect(r.saves).toEqual([]);
    commit();
    await d.checkpointed;
    expect(r.saves).toEqual([{ vectors: ['f:1', 'f:2'], seq: 2 }]);
  });

  it('flush saves everything handled at once, and every batch after it', async () => {
    const r = rig({ messages: 100, ms: 60_000 });
    const d = r.batch(1);
    r.cp.flush();
    await d.checkpointed;
    const after = r.batch(1);
    expect(after.checkpointed).toBeUndefined(); // from now on, committed means saved
    await after.committed;
    expect(r.saves.map((s) => s.seq)).toEqual([1, 2]);
  });

  it('a failed save fails the batches it covers and every later one, and tells the actor', async () => {
    const r = rig({ messages: 2, ms: 1_000 }, { failSave: true });
    const d1 = r.batch(1);
    const d2 = r.batch(1);
    await expect(d1.checkpointed).rejects.toThrow('store down');
    await expect(d2.checkpointed).rejects.toThrow('store down');
    expect(r.failures).toHaveLength(1);
    r.cp.fail(r.failures[0]);
    await expect(r.batch(1).checkpointed).rejects.toThrow('store down');
  });

  it('saves (and so acknowledges) only once the decisions\' risk state covers what was decided', async () => {
    let cover!: () => void;
    let fail!: (e: unknown) => void;
    let calls = 0;
    const r = rig(
      { messages: 1, ms: 1_000 },
      {
        covered: () => {
          calls++;
          return calls === 1 ? new Promise<void>((res) => (cover = res)) : new Promise<void>((_res, rej) => (fail = rej));
        },
      },
    );
    const d1 = r.batch(1);
    await d1.committed;
    expect(await settled(d1.checkpointed as Promise<void>)).toBe(false);
    expect(r.saves).toEqual([]);
    cover();
    await d1.checkpointed;
    expect(r.saves).toEqual([{ vectors: ['f:1'], seq: 1 }]);
    const d2 = r.batch(1);
    await new Promise((res) => setImmediate(res));
    fail(new Error('risk write failed'));
    await expect(d2.checkpointed).rejects.toThrow('risk write failed');
    expect(r.saves).toHaveLength(1);
    expect(r.failures).toHaveLength(1);
  });

  it('fail rejects what waits for a checkpoint and stops the timer', async () => {
    const r = rig({ messages: 100, ms: 1_000 });
    const d = r.batch(1);
    r.cp.fail(new Error('actor failed'));
    await expect(d.checkpointed).rejects.toThrow('actor failed');
    r.clock.advanceBy(5_000);
    await new Promise((res) => setImmediate(res));
    expect(r.saves).toEqual([]);
  });

  it('asks the risk writes to be prompt only for a checkpoint due by its message count', async () => {
    const prompts: boolean[] = [];
    const r = rig({ messages: 4, ms: 200 }, { covered: async (prompt) => void prompts.push(prompt) });
    const d1 = r.batch(1);
    r.clock.advanceTo(200); // due by time
    await d1.checkpointed;
    const d2 = r.batch(4); // due by count
    await d2.checkpointed;
    expect(prompts).toEqual([false, true]);
    expect(r.saves.map((s) => s.seq)).toEqual([1, 5]);
  });

  it('asks at once for a checkpoint due by its count, while one due by time waits ahead of it for the spaced risk write', async () => {
    // The risk writes as actors/risk-checkpoints.ts spaces them: the next one is made when asked
    // for (prompt), or at the end of the spacing (never here: the clock stays put).
    let write!: () => void;
    const written = new Promise<void>((res) => (write = res));
    const prompts: boolean[] = [];
    const r = rig(
      { messages: 4, ms: 200 },
      {
        covered: (prompt) => {
          prompts.push(prompt);
          if (prompt) write();
          return written;
        },
      },
    );
    const d1 = r.batch(1);
    r.clock.advanceTo(200); // due by time: waits for the spaced write without asking
    await d1.committed;
    expect(await settled(d1.checkpointed as Promise<void>)).toBe(false);
    const d2 = r.batch(4); // due by count, queued behind the first
    await d2.committed;
    // Before, it asked only once the first was saved, which waited for the spaced write: both
    // waited out the spacing (up to riskCheckpointMs) however busy the asset.
    expect(await settled(d2.checkpointed as Promise<void>)).toBe(true);
    await d2.checkpointed;
    expect(prompts[0]).toBe(false);
    expect(prompts).toContain(true);
    expect(r.saves.map((s) => s.seq)).toEqual([1, 5]);
  });
});
