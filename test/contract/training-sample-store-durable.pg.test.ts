import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgTrainingSampleStore } from '../../state/pg-training-sample-store.js';
import { dropSchema } from '../support/pg.js';
import { watchCommitSetting, withAsyncCommitDefault } from '../support/pg-commit-setting.js';
import { sample } from './training-sample-store.contract.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_tssdur_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
afterAll(async () => dropSchema(url, schema));

describe('training samples are durable (PostgreSQL)', () => {
  // The labeling actor acknowledges its inputs once a commit returns, and a sample is the only
  // copy of the feature vector its prediction was made from: a commit a PostgreSQL crash can
  // still lose (synchronous_commit off) would lose the sample and the labeling snapshot for good.
  it('commits samples and the labeling snapshot with synchronous_commit on, even where the sessions default to off', async () => {
    const first = await createPgTrainingSampleStore({ url, schema });
    await first.close();
    const seen = { samples: await watchCommitSetting(url, schema, 'training_samples'), snapshots: await watchCommitSetting(url, schema, 'labeling_snapshots') };
    for (const [i, u] of [url, withAsyncCommitDefault(url)].entries()) {
      const store = await createPgTrainingSampleStore({ url: u, schema });
      try {
        expect(await store.commit({ samples: [sample(i)], snapshot: { actor: 'labeling:x', state: { n: i }, ts: sample(i).labeledTs } })).toBe(1);
      } finally {
        await store.close();
      }
    }
    expect(await seen.samples()).toEqual(['on', 'on']);
    expect(await seen.snapshots()).toEqual(['on', 'on']);
  });
});
