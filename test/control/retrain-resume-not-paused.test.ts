import { describe, expect, it } from 'vitest';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import type { RetrainingStatus } from '../../actors/retraining-status.js';
import { retrainingControl } from '../../cli/engine-control.js';
import { emptyCounters } from '../../models/retraining/retraining-snapshot.js';
import { ControlReplySchema } from '../../gateways/control/control-messages.js';
import { startControlServer } from '../../gateways/control/control-server.js';
import type { ControlTarget } from '../../gateways/control/control-target.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';

const status = (phase: RetrainingStatus['phase']): RetrainingStatus => ({
  phase,
  model: 'direction-mlp',
  champion: null,
  challenger: null,
  trigger: null,
  lastOutcome: null,
  lastShadow: null,
  lastRollback: null,
  pauseReason: phase === 'paused' ? 'maintenance' : null,
  pausedBy: phase === 'paused' ? 'alice' : null,
  resumedBy: null,
  resumeReason: null,
  cycles: 0,
  shadow: null,
  watch: null,
  anchor: null,
  triggers: { labelsSinceTrain: 0, rollingLogLoss: null, rollingHitRate: null, maxPsi: null, adwinWidth: 0 },
  counters: emptyCounters(),
});

/** A retraining actor in `phase` that counts the resumes it was sent. */
const actorIn = (phase: RetrainingStatus['phase']): Pick<RetrainingActorHandle, 'trigger' | 'pause' | 'resume' | 'status'> & { resumes: number } => {
  let now = phase;
  const a = {
    resumes: 0,
    status: () => status(now),
    trigger: () => ({ accepted: true, reason: 'retraining triggered', status: status(now) }),
    pause: () => status((now = 'paused')),
    resume: () => {
      a.resumes++;
      if (now === 'paused') now = 'idle';
      return status(now);
    },
  };
  return a;
};

describe('sextant ctl retrain resume of an actor that is not paused', () => {
  it('is refused, naming the phase, and the actor is not sent a resume', async () => {
    for (const phase of ['idle', 'collecting', 'training', 'shadow'] as const) {
      const a = actorIn(phase);
      await expect(async () => retrainingControl(a).resume({ reason: '' }, 'op')).rejects.toMatchObject({ code: 'REFUSED', message: `retraining is ${phase}, not paused: nothing resumed` });
      expect(a.resumes).toBe(0);
    }
  });

  it('resumes a paused one as before', async () => {
    const a = actorIn('paused');
    await expect(retrainingControl(a).resume({ reason: '' }, 'op')).resolves.toMatchObject({ phase: 'idle' });
    expect(a.resumes).toBe(1);
  });

  it('is answered REFUSED and audited as an error, not as done', async () => {
    const bus = createMemoryBus();
    const audit = createMemoryAuditStore();
    const subjects = subjectsFor('sx');
    const unused = (): never => {
      throw new Error('not used');
    };
    const target: ControlTarget = {
      status: unused,
      halt: unused,
      resume: unused,
      reduce: unused,
      getLimits: unused,
      setLimits: unused,
      listModels: unused,
      deployModel: unused,
      rollbackModel: unused,
      removeModelAlias: unused,
      retraining: retrainingControl(actorIn('idle')),
    };
    startControlServer({ bus, subjects, target, audit, clock: createSimulatedClock(1_700_000_000_000), log: silentLogger });
    const raw = await bus.request(subjects.control('retrain.resume'), new TextEncoder().encode(JSON.stringify({ v: 1, id: 'r1', operator: 'alice', args: { reason: '' } })), 2000);
    expect(ControlReplySchema.parse(JSON.parse(new TextDecoder().decode(raw)))).toMatchObject({ ok: false, error: { code: 'REFUSED', message: 'retraining is idle, not paused: nothing resumed' } });
    expect(await audit.recent(1)).toMatchObject([{ requestId: 'r1', operator: 'alice', verb: 'retrain.resume', outcome: 'error', detail: { code: 'REFUSED' } }]);
    await bus.close();
  });
});
