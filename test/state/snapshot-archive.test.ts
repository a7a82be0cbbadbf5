import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSnapshotArchive } from '../../state/archived-feature-store.js';
import { StoreError } from '../../state/errors.js';
import type { ActorSnapshot, FeatureStore } from '../../state/feature-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createPgSnapshotArchive } from '../../state/pg-snapshot-archive.js';
import type { SnapshotArchive } from '../../state/snapshot-archive.js';
import { dropSchema } from '../support/pg.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. A schema of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_snap_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const KEY = 'asset:binance:BTC/USDT';

const snap = (streamSeq: number, state: unknown = { seq: streamSeq }): ActorSnapshot => ({ version: 1, streamSeq, ts: 1_700_000_000_000 + streamSeq, state });

/** The real archive, with every save recorded and, while `hold` is set, kept waiting until released. */
function recording(archive: SnapshotArchive): { archive: SnapshotArchive; saves: number[]; hold: () => () => void; fail: (n: number) => void; idle: () => Promise<void> } {
  const saves: number[] = [];
  const pending = new Set<Promise<unknown>>();
  let gate: Promise<void> | undefined;
  let failures = 0;
  return {
    saves,
    hold: () => {
      let release: () => void = () => {};
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
    fail: (n) => void (failures = n),
    /** Resolves once no save is running (their outcomes reach the store under test a turn later). */
    idle: async () => {
      await Promise.allSettled([...pending]);
      await new Promise((res) => setImmediate(res));
    },
    archive: {
      ...archive,
      save: (key, s) => {
        saves.push(s.streamSeq);
        const p = (async () => {
          if (gate !== undefined) await gate;
          if (failures > 0) {
            failures--;
            throw new StoreError('PostgreSQL went away', true);
          }
          await archive.save(key, s);
        })();
        pending.add(p);
        void p.catch(() => {}).finally(() => pending.delete(p));
        return p;
      },
      // The store under test closes its archive; the shared one stays open for the next test.
      close: async () => {},
    },
  };
}

let archive: SnapshotArchive;
beforeAll(async () => {
  archive = await createPgSnapshotArchive({ url, schema });
});
afterAll(async () => {
  await archive?.close();
  await dropSchema(url, schema);
});

describe('actor snapshots archived in PostgreSQL', () => {
  it('round-trips a snapshot exactly (-0 included) and never replaces a later one with an earlier one', async () => {
    await archive.clear();
    expect(await archive.load(KEY)).toBeUndefined();
    await archive.save(KEY, snap(200, { x: -0, ids: ['a', 'b'], nested: { y: 1.5e-300 } }));
    const back = await archive.load(KEY);
    expect(back).toEqual(snap(200, { x: -0, ids: ['a', 'b'], nested: { y: 1.5e-300 } }));
    expect(Object.is((back?.state as { x: number }).x, -0)).toBe(true);
    await archive.save(KEY, snap(150));
    expect((await archive.load(KEY))?.streamSeq).toBe(200);
    await archive.save(KEY, snap(200, { handledTo: 260 })); // the same position saved again (a rebuild's floor) replaces it
    expect((await archive.load(KEY))?.state).toEqual({ handledTo: 260 });
    await archive.save('asset:binance:ETH/USDT', snap(90));
    expect((await archive.load('asset:binance:ETH/USDT'))?.streamSeq).toBe(90);
    await archive.clear();
    expect(await archive.load(KEY)).toBeUndefined();
  });
});

describe('a feature store with its snapshots archived', () => {
  const open = (a: SnapshotArchive, every = 100, errors: string[] = []): FeatureStore =>
    withSnapshotArchive(createMemoryFeatureStore({ historyCap: 4 }), a, { everyMessages: every, onError: (k, e) => errors.push(`${k}: ${String(e)}`) });

  it('copies a snapshot once its stream sequence is the spacing past the last copy', async () => {
    await archive.clear();
    const r = recording(archive);
    const store = open(r.archive);
    for (const seq of [50, 99, 100, 150, 199, 230, 260, 330]) {
      await store.writeBatch([], [[KEY, snap(seq)]]);
      await r.idle(); // each copy done before the next snapshot (the next test covers copies in flight)
    }
    await store.close();
    expect(r.saves).toEqual([100, 230, 330]);
    expect((await archive.load(KEY))?.streamSeq).toBe(330);
  });

  it('loads the later of the two, and spaces the next copy from what the archive holds', async () => {
    await archive.clear();
    await archive.save(KEY, snap(300));
    const r = recording(archive);
    const empty = open(r.archive);
    expect((await empty.loadSnapshot(KEY))?.streamSeq).toBe(300); // the fast store lost it: the copy
    await empty.writeBatch([], [[KEY, snap(350)]]); // 50 past the copy: not due
    await empty.writeBatch([], [[KEY, snap(400)]]);
    await empty.close();
    expect(r.saves).toEqual([400]);

    const ahead = open(recording(archive).archive);
    await ahead.writeBatch([], [[KEY, snap(450)]]);
    expect((await ahead.loadSnapshot(KEY))?.streamSeq).toBe(450); // the fast store is ahead: its own
    await archive.save(KEY, snap(500));
    expect((await ahead.loadSnapshot(KEY))?.streamSeq).toBe(500); // it lost its last writes: the later copy
    await ahead.close();
  });

  it('keeps one copy in flight per actor: what falls due meanwhile waits, only the newest', async () => {
    await archive.clear();
    const r = recording(archive);
    const store = open(r.archive);
    const release = r.hold();
    await store.writeBatch([], [[KEY, snap(100)]]);
    for (const seq of [150, 200, 260, 310]) await store.writeBatch([], [[KEY, snap(seq)]]); // the feature store's writes do not wait
    expect(r.saves).toEqual([100]);
    release();
    await store.close();
    expect(r.saves).toEqual([100, 310]);
    expect((await archive.load(KEY))?.streamSeq).toBe(310);
  });

  it('reports a failed copy and tries again with the next snapshot, without failing the checkpoint', async () => {
    await archive.clear();
    const r = recording(archive);
    const errors: string[] = [];
    const store = open(r.archive, 100, errors);
    r.fail(1);
    await store.writeBatch([], [[KEY, snap(100)]]);
    await r.idle();
    await store.writeBatch([], [[KEY, snap(120)]]);
    await store.close();
    expect(errors).toEqual([`${KEY}: StoreError: PostgreSQL went away`]);
    expect(r.saves).toEqual([100, 120]);
    expect((await archive.load(KEY))?.streamSeq).toBe(120);
  });

  it('clears the archive with the feature store', async () => {
    await archive.save(KEY, snap(700));
    const store = open(recording(archive).archive);
    await store.writeBatch([], [[KEY, snap(800)]]);
    await store.clear();
    expect(await store.loadSnapshot(KEY)).toBeUndefined();
    expect(await archive.load(KEY)).toBeUndefined();
    await store.close();
  });

  it('refuses a spacing that is not a positive integer', () => {
    for (const every of [0, -5, 1.5, Number.NaN]) expect(() => open(recording(archive).archive, every)).toThrow(StoreError);
  });
});
