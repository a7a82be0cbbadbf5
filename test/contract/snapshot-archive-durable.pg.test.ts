import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgSnapshotArchive } from '../../state/pg-snapshot-archive.js';
import { dropSchema } from '../support/pg.js';
import { watchCommitSetting, withAsyncCommitDefault } from '../support/pg-commit-setting.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_snapdur_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
afterAll(async () => dropSchema(url, schema));

describe('archived actor snapshots are durable (PostgreSQL)', () => {
  // An asset actor whose Redis snapshot is gone resumes from the archived copy: a copy a PostgreSQL
  // crash can still lose (synchronous_commit off) sends it back to an older one or to the stream's
  // oldest message: a longer replay, and history missing where the stream's retention dropped it.
  it('commits each copy with synchronous_commit on, even where the sessions default to off', async () => {
    const first = await createPgSnapshotArchive({ url, schema });
    await first.close();
    const seen = await watchCommitSetting(url, schema, 'actor_snapshots');
    for (const [i, u] of [url, withAsyncCommitDefault(url)].entries()) {
      const archive = await createPgSnapshotArchive({ url: u, schema });
      try {
        await archive.save('asset:binance:BTC/USDT', { version: 1, streamSeq: 100 * (i + 1), ts: 1_640_995_200_000 + i, state: { i } });
        expect(await archive.load('asset:binance:BTC/USDT')).toMatchObject({ streamSeq: 100 * (i + 1), state: { i } });
      } finally {
        await archive.close();
      }
    }
    expect(await seen()).toEqual(['on', 'on']);
  });
});
