import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { ListedModelVersion } from '../../models/registry/model-registry.js';
import { lastRecordedCycle } from '../../models/retraining/cycle-challenger.js';
import { subjectsFor } from '../../streams/subjects.js';
import { freshActorCycleCases } from './fresh-actor-cycles.cases.js';
import { retrainingWorld } from './fixtures.js';

const cfg = { ...loadConfig(), prefix: 'rtfresh', streamNamePrefix: 'RTFRESH_' };
const subjects = subjectsFor(cfg.prefix);

freshActorCycleCases('memory', {
  cfg,
  subjects,
  world: async () => {
    const w = await retrainingWorld(cfg, subjects);
    return { ...w, close: () => w.bus.close() };
  },
});

describe('lastRecordedCycle', () => {
  const version = (strategy: string, trigger: Readonly<Record<string, unknown>> | undefined): Pick<ListedModelVersion, 'details'> => ({
    details: { labels: { strategy }, ...(trigger !== undefined ? { retraining: { trigger } } : {}) },
  });

  it('is the highest cycle number among the strategy\'s challengers, 0 without one; other strategies, numberless and hand-made versions do not count', () => {
    const all = [
      version('s1', { kind: 'schedule', detail: '100 labels', ts: 5, cycle: 3 }),
      version('s1', { kind: 'operator', detail: 'op: refit', ts: 0, cycle: 7 }),
      version('s2', { kind: 'operator', detail: 'op: refit', ts: 0, cycle: 12 }),
      version('s1', { kind: 'schedule', detail: '100 labels', ts: 9 }),
      version('s1', { kind: 'schedule', detail: '100 labels', ts: 9, cycle: '40' }),
      version('s1', undefined),
      { details: {} },
    ];
    expect(lastRecordedCycle(all, 's1')).toBe(7);
    expect(lastRecordedCycle(all, 's2')).toBe(12);
    expect(lastRecordedCycle(all, 's3')).toBe(0);
    expect(lastRecordedCycle([], 's1')).toBe(0);
  });
});
