import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { fitChallenger } from '../../models/retraining/train-challenger.js';
import type { ChallengerFit } from '../../models/retraining/train-challenger.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { subjectsFor } from '../../streams/subjects.js';
import { T0, TEST_CLASS_RULE, retrainingWorld, samplesOf } from './fixtures.js';

/** This process's child processes' ids (the training process runs under `chrt`, which execs node in place). */
const children = (): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there is none
  }
};
const stateOf = (pid: number): string => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? '?';

describe('a challenger fitted with a training pace', () => {
  it('trains in a process stopped and run by turns on the pace clock: held stopped, the fit waits; let run, it completes', async () => {
    const { registry, champion } = await retrainingWorld({ ...loadConfig(), prefix: 'pace', streamNamePrefix: 'PACE_' }, subjectsFor('pace'));
    const samples = samplesOf(200, 400, 1, 5);
    const clock = createSimulatedClock(0);
    const before = new Set(children());
    let fit: ChallengerFit | undefined;
    const fitting = fitChallenger(samples, champion, {
      seed: 2,
      epochs: 30,
      validationFraction: 0.2,
      trigger: { kind: 'operator', detail: 'pace test', ts: T0 },
      strategy: 's1',
      rule: TEST_CLASS_RULE,
      pace: { clock, runMs: 1, pauseMs: 60_000 },
    }).then((f) => (fit = f));
    try {
      await expect.poll(() => children().filter((p) => !before.has(p)).length, { timeout: 10_000 }).toBe(1);
      const pid = children().find((p) => !before.has(p)) as number;
      clock.advanceBy(1); // its running part is over: stopped for a minute of the pace clock
      await expect.poll(() => stateOf(pid), { timeout: 5_000 }).toBe('T');
      await new Promise((r) => setTimeout(r, 2_000));
      expect(fit).toBeUndefined();
      expect(stateOf(pid)).toBe('T');
      clock.advanceBy(60_000); // running again, and the clock stands still: it runs to the end
      await fitting;
      expect(fit?.model.parentVersion).toBe(champion.version);
      expect(fit?.onnx.byteLength).toBeGreaterThan(0);
    } finally {
      await registry.close();
    }
  }, 120_000);

  it('the config paces live training by default, can turn it off, and makes it yield to the engine when asked', () => {
    const yieldTo = { lagMs: 0, holdMs: 200, probeMs: 5 };
    expect(RetrainingConfigSchema.parse({}).training.pace).toEqual({ runMs: 100, pauseMs: 100, yieldTo });
    expect(RetrainingConfigSchema.parse({ training: { pace: { runMs: 50, pauseMs: 0 } } }).training.pace).toEqual({ runMs: 50, pauseMs: 0, yieldTo });
    expect(RetrainingConfigSchema.parse({ training: { pace: { runMs: 50, pauseMs: 0, yieldTo: { lagMs: 10, holdMs: 200, probeMs: 5 } } } }).training.pace.yieldTo.lagMs).toBe(10);
    expect(loadConfig().retraining.training.pace).toEqual({ runMs: 100, pauseMs: 100, yieldTo });
    expect(() => RetrainingConfigSchema.parse({ training: { pace: { runMs: 0, pauseMs: 10 } } })).toThrow();
    expect(() => RetrainingConfigSchema.parse({ training: { pace: { runMs: 10, pauseMs: 10, yieldTo: { lagMs: 10, holdMs: 0, probeMs: 5 } } } })).toThrow();
  });
});
