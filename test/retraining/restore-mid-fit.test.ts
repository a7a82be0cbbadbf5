import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { ListedModelVersion } from '../../models/registry/model-registry.js';
import { openCycleChallengers } from '../../models/retraining/cycle-challenger.js';
import { subjectsFor } from '../../streams/subjects.js';
import { retrainingWorld } from './fixtures.js';
import { midFitRestartCases } from './restore-mid-fit.cases.js';

const cfg = { ...loadConfig(), prefix: 'rtmidfit', streamNamePrefix: 'RTMIDFIT_' };
const subjects = subjectsFor(cfg.prefix);

midFitRestartCases('memory', {
  cfg,
  subjects,
  world: async () => {
    const w = await retrainingWorld(cfg, subjects);
    return { ...w, close: () => w.bus.close() };
  },
});

describe('openCycleChallengers', () => {
  const cycle = { strategy: 's1', trigger: { kind: 'schedule', detail: '100 labels' }, ts: 1000 } as const;
  const version = (n: number, o: Readonly<{ strategy?: string; trigger?: Readonly<Record<string, unknown>>; aliases?: string[]; rejected?: boolean }> = {}): ListedModelVersion =>
    ({ version: n, aliases: o.aliases ?? [], rejected: o.rejected ?? false, details: { labels: { strategy: o.strategy ?? 's1' }, retraining: { trigger: o.trigger ?? { kind: 'schedule', detail: '100 labels', ts: 1000 } } } }) as unknown as ListedModelVersion;

  it('finds only the open versions fitted for this cycle: same strategy and trigger (kind, detail, event time), not rejected, not production', () => {
    const all = [
      version(2),
      version(3, { aliases: ['candidate'] }),
      version(4, { strategy: 's2' }),
      version(5, { trigger: { kind: 'schedule', detail: '100 labels', ts: 999 } }),
      version(6, { trigger: { kind: 'operator', detail: '100 labels', ts: 1000 } }),
      version(7, { rejected: true }),
      version(8, { aliases: ['production'] }),
      { ...version(9), details: { kind: 'direction-classifier' } } as ListedModelVersion,
    ];
    expect(openCycleChallengers(all, cycle).map((v) => v.version)).toEqual([2, 3]);
  });

  it('tells apart two cycles with the same trigger at the same event time by their number; a cycle without one (an older snapshot) matches versions without one', () => {
    const all = [version(2, { trigger: { kind: 'schedule', detail: '100 labels', ts: 1000, cycle: 1 } }), version(3, { trigger: { kind: 'schedule', detail: '100 labels', ts: 1000, cycle: 2 } }), version(4)];
    expect(openCycleChallengers(all, { ...cycle, seq: 2 }).map((v) => v.version)).toEqual([3]);
    expect(openCycleChallengers(all, cycle).map((v) => v.version)).toEqual([4]);
  });
});
