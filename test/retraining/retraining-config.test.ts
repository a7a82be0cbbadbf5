import { describe, expect, it } from 'vitest';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';

const issues = (input: unknown): string[] => {
  const r = RetrainingConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('retraining config: settings that together leave a part of the loop unable to act are refused', () => {
  it('accepts the defaults and the settings the tests and the experiment use', () => {
    expect(issues({})).toEqual([]);
    expect(issues({ training: { minSamples: 80, maxSamples: 100 }, shadow: { predictions: 60, margin: 0.05, minT: 0 } })).toEqual([]);
    expect(issues({ shadow: { predictions: 40, blockLabels: 20, minT: 2 } })).toEqual([]);
    expect(issues({ rollback: { watchLabels: 40, watchMs: 0, minLabels: 40, margin: 0, minT: 0 } })).toEqual([]);
    // Watched for event time too: the label count alone does not end the watch.
    expect(issues({ rollback: { watchLabels: 1, minLabels: 50 } })).toEqual([]);
  });

  it('refuses a shadow too short for two blocks when minT asks for a t statistic (every challenger would be rejected)', () => {
    expect(issues({ shadow: { predictions: 30, blockLabels: 20, minT: 2 } })).toEqual([expect.stringMatching(/^shadow\.predictions: .*fewer than two blocks/) as string]);
    expect(issues({ shadow: { predictions: 30, blockLabels: 20, minT: 0 } })).toEqual([]);
  });

  it('refuses a watch on its label count alone that ends before a rollback can be judged', () => {
    expect(issues({ rollback: { watchLabels: 30, watchMs: 0, minLabels: 50 } })).toEqual([expect.stringMatching(/^rollback\.watchLabels: .*could never be rolled back/) as string]);
    // minLabels reached, but not on a block's close (blocks of 20: judged at 40, closed at 50).
    expect(issues({ rollback: { watchLabels: 50, watchMs: 0, minLabels: 50, minT: 0 } })).toHaveLength(1);
    // With minT, two blocks at least.
    expect(issues({ rollback: { watchLabels: 30, watchMs: 0, minLabels: 10, minT: 2 } })).toHaveLength(1);
    expect(issues({ rollback: { watchLabels: 60, watchMs: 0, minLabels: 50, minT: 2 } })).toEqual([]);
  });

  it('refuses minSamples above maxSamples, and a maxSamples × validationFraction that leaves under 20 validation rows', () => {
    expect(issues({ training: { minSamples: 600, maxSamples: 500 } })).toEqual([expect.stringMatching(/^training\.minSamples: /) as string]);
    expect(issues({ training: { minSamples: 50, maxSamples: 60, validationFraction: 0.2 } })).toEqual([expect.stringMatching(/^training\.validationFraction: .*leaves 12 validation rows/) as string]);
    expect(issues({ training: { minSamples: 50, maxSamples: 100, validationFraction: 0.2 } })).toEqual([]);
  });
});
