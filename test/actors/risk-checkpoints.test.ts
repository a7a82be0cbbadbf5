import { describe, expect, it } from 'vitest';
import { createRiskCheckpoints } from '../../actors/risk-checkpoints.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { settled } from '../support/settled.js';

/** Spaced risk writes over a counter "state" (one per release), with every write recorded. */
function rig(ms: number | undefined, opts: { failWrite?: number } = {}) {
  const clock = createSimulatedClock(0);
  let state = 0;
  let deciding = false;
  const writes: number[] = [];
  let attempts = 0;
  const cp = createRiskCheckpoints(
    {
      clock,
      capture: () => {
        const at = state;
        return async () => {
          attempts++;
          if (attempts === opts.failWrite) throw new Error('store down');
          writes.push(at);
        };
      },
      between: () => !deciding,
    },
    { ms },
  );
  /** A release decided (the state moves by one) whose publications resolve with `published`. */
  const release = (published: Promise<unknown> = Promise.resolve(), now = false) => {
    state++;
    return cp.release(published, now);
  };
  return { clock, cp, release, writes, setDeciding: (d: boolean) => void (deciding = d), bump: () => void state++ };
}

describe('risk state checkpoints', () => {
  it('writes after every release when no interval is set', async () => {
    const r = rig(undefined);
    await r.release();
    await r.release();
    expect(r.writes).toEqual([1, 2]);
  });

  it('writes at most once per interval: releases in between wait for the write that covers them', async () => {
    const r = rig(200);
    r.clock.advanceTo(200);
    const a = r.release(); // 200 ms since the start: written at once
    const b = r.release();
    const c = r.release();
    await a;
    expect(r.writes).toEqual([1]);
    expect(await settled(b)).toBe(false);
    r.clock.advanceTo(399);
    expect(await settled(c)).toBe(false);
    r.clock.advanceTo(400); // the timer: one write of the state after c covers b and c
    await Promise.all([b, c]);
    expect(r.writes).toEqual([1, 3]);
  });

  it('never takes a snapshot in the middle of a release: a due write waits for its end', async () => {
    const r = rig(100);
    const a = r.release(); // elapsed 0 < 100: waits for the timer
    r.setDeciding(true);
    r.bump(); // the next release is half-way: state 2 of what will be 3
    r.clock.advanceTo(100);
    expect(await settled(a)).toBe(false);
    expect(r.writes).toEqual([]);
    r.bump();
    r.setDeciding(false);
    const b = r.release(); // ends the release: the due write is made now, of the whole state
    await Promise.all([a, b]);
    expect(r.writes).toEqual([4]);
  });

  it('writes only after the publications of every release it covers are stored, and in order', async () => {
    const r = rig(undefined);
    let publish!: () => void;
    const slow = new Promise<void>((res) => (publish = res));
    const a = r.release(slow);
    const b = r.release();
    expect(await settled(b)).toBe(false); // b's write waits for a's, which waits for a's publications
    expect(r.writes).toEqual([]);
    publish();
    await Promise.all([a, b]);
    expect(r.writes).toEqual([1, 2]);
  });

  it('a failed write stops them: its waiters, those of the writes queued behind it and every later release fail with it, and nothing more is written', async () => {
    const r = rig(undefined, { failWrite: 2 });
    await r.release();
    let publish!: () => void;
    const slow = new Promise<void>((res) => (publish = res));
    const a = r.release(slow); // its write (the 2nd) fails once the publication is stored
    const b = r.release(); // queued behind it: a write of a later state, never made
    expect(r.cp.failure()).toBeUndefined();
    publish();
    await expect(a).rejects.toThrow('store down');
    await expect(b).rejects.toThrow('store down');
    expect(r.cp.failure()).toEqual({ error: new Error('store down') });
    await expect(r.cp.failed()).resolves.toEqual(new Error('store down'));
    await expect(r.release()).rejects.toThrow('store down');
    r.cp.flush();
    r.cp.prompt();
    await new Promise((res) => setImmediate(res));
    expect(r.writes).toEqual([1]);
  });

  it('a spaced write that fails fails the releases waiting for the next one, and cancels its timer', async () => {
    const r = rig(200, { failWrite: 1 });
    r.clock.advanceTo(200);
    const a = r.release(); // written at once: refused
    const b = r.release(); // waits for the timer
    await expect(a).rejects.toThrow('store down');
    expect(await settled(b)).toBe(true); // at once, not at the next write's time (which never comes)
    await expect(b).rejects.toThrow('store down');
    r.clock.advanceTo(1_000);
    await new Promise((res) => setImmediate(res));
    expect(r.writes).toEqual([]);
  });

  it('a publication a write waits for that fails stops them as a failed write does', async () => {
    const r = rig(undefined);
    await expect(r.release(Promise.reject(new Error('publish refused')))).rejects.toThrow('publish refused');
    await expect(r.cp.failed()).resolves.toEqual(new Error('publish refused'));
    await expect(r.release()).rejects.toThrow('publish refused');
    expect(r.writes).toEqual([]);
  });

  it('writes at once for `now` and after a flush (stopping)', async () => {
    const r = rig(1000);
    await r.release(Promise.resolve(), true);
    const b = r.release();
    expect(await settled(b)).toBe(false);
    r.cp.flush();
    await b;
    await r.release();
    expect(r.writes).toEqual([1, 2, 3]);
  });

  it('prompt writes what waits now instead of at the interval, and waits for the end of a release being decided', async () => {
    const r = rig(1000);
    const a = r.release(); // elapsed 0 < 1000: waits for the timer
    r.cp.prompt();
    await a;
    expect(r.writes).toEqual([1]);
    r.cp.prompt(); // nothing waits: no write
    await new Promise((res) => setImmediate(res));
    expect(r.writes).toEqual([1]);
    const b = r.release();
    r.setDeciding(true);
    r.bump();
    r.cp.prompt(); // half-way through a release: not now
    expect(await settled(b)).toBe(false);
    expect(r.writes).toEqual([1]);
    r.bump();
    r.setDeciding(false);
    const c = r.release(); // the release ends: the prompted write is made, of the whole state
    await Promise.all([b, c]);
    expect(r.writes).toEqual([1, 5]);
    expect(r.clock.now()).toBe(0); // none of it waited for the clock
  });

  it('says when the writes made so far ended (written) and whether one is still to land (pending): a stop waits for them', async () => {
    const clock = createSimulatedClock(0);
    let land = (): void => {};
    const stored: number[] = [];
    const cp = createRiskCheckpoints(
      { clock, capture: () => () => new Promise<void>((r) => (land = () => (stored.push(1), r()))), between: () => true },
      { ms: 200 },
    );
    expect(cp.pending()).toBe(false);
    const covered = cp.release(Promise.resolve());
    expect(cp.pending()).toBe(true); // waits for the spaced write
    cp.flush(); // stopping: written now
    const written = cp.written();
    expect(await settled(written)).toBe(false); // the write is still in the store's hands
    expect(cp.pending()).toBe(true);
    land();
    await written;
    await covered;
    expect(stored).toEqual([1]);
    expect(cp.pending()).toBe(false);
  });

  it('gives up a write that does not land (abandon): what waits for it, in flight or not, fails at once, and written resolves', async () => {
    const clock = createSimulatedClock(0);
    const cp = createRiskCheckpoints({ clock, capture: () => () => new Promise<void>(() => {}), between: () => true }, { ms: undefined });
    const inFlight = cp.release(Promise.resolve()); // its write never answers
    inFlight.catch(() => {});
    expect(await settled(inFlight)).toBe(false);
    cp.abandon(new Error('stop waited long enough'));
    await expect(inFlight).rejects.toThrow('stop waited long enough');
    await cp.written();
    expect(cp.pending()).toBe(false);
    expect(String(cp.failure()?.error)).toContain('stop waited long enough');
    await expect(cp.release(Promise.resolve())).rejects.toThrow('stop waited long enough');
  });
});
