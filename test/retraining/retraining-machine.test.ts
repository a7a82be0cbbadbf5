import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { phaseOf, restoreRetrainingSnapshot, retrainingMachine } from '../../state/retraining-machine.js';
import type { RetrainingMachineContext, RetrainingPhase } from '../../state/retraining-machine.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';

const trigger = { type: 'TRIGGER', reason: { kind: 'schedule', detail: '500 labels' } } as const;

describe('retraining machine', () => {
  it('runs a cycle idle → collecting → training → validating → shadow → promoted → idle', () => {
    const clock = createSimulatedClock(0);
    const a = createActor(retrainingMachine, { clock }).start();
    const seen: string[] = [phaseOf(a.getSnapshot())];
    a.subscribe((s) => seen.push(phaseOf(s)));
    a.send(trigger);
    a.send({ type: 'SAMPLES_READY' });
    a.send({ type: 'TRAINED', challenger: { name: 'dir', version: 2 } });
    a.send({ type: 'VALID' });
    a.send({ type: 'SHADOW_PROMOTE', reason: 'better by 0.05' });
    expect(phaseOf(a.getSnapshot())).toBe('promoted');
    a.send({ type: 'SETTLED' });
    expect(seen).toEqual(['idle', 'collecting', 'training', 'validating', 'shadow', 'promoted', 'idle']);
    expect(a.getSnapshot().context.cycles).toBe(1);
    expect(a.getSnapshot().context.lastOutcome).toMatch(/^promoted dir@2: better by 0.05/);
  });

  it('names a challenger only while its cycle runs: cleared once it ends, however it ends (lastOutcome names the last one)', () => {
    const a = createActor(retrainingMachine).start();
    const toShadow = (version: number): void => {
      a.send(trigger);
      a.send({ type: 'SAMPLES_READY' });
      a.send({ type: 'TRAINED', challenger: { name: 'dir', version } });
      expect(a.getSnapshot().context.challenger).toEqual({ name: 'dir', version });
    };
    for (const [version, end] of [[2, 'SHADOW_PROMOTE'], [3, 'SHADOW_REJECT']] as const) {
      toShadow(version);
      a.send({ type: 'VALID' });
      a.send({ type: end, reason: 'decided' });
      expect(a.getSnapshot().context.challenger).toEqual({ name: 'dir', version }); // the registry call still to come
      a.send({ type: 'SETTLED' });
      expect(phaseOf(a.getSnapshot())).toBe('idle');
      expect(a.getSnapshot().context.challenger).toBeNull();
      expect(a.getSnapshot().context.lastOutcome).toMatch(new RegExp(`dir@${version}: decided`));
    }
    toShadow(4);
    a.send({ type: 'INVALID', error: 'parity' });
    a.send({ type: 'SETTLED' });
    expect(a.getSnapshot().context).toMatchObject({ challenger: null, lastOutcome: 'failed dir@4: parity' });
    toShadow(5);
    a.send({ type: 'PAUSE', reason: 'inspection' }); // mid-validation: the cycle is abandoned
    expect(a.getSnapshot().context.challenger).toBeNull();
    a.send({ type: 'RESUME' });
    expect(phaseOf(a.getSnapshot())).toBe('idle');
  });

  it('keeps how each cycle ended as data beside its text (outcome: kind and reason), which a restart reads', () => {
    const a = createActor(retrainingMachine).start();
    const outcome = () => a.getSnapshot().context.outcome;
    const toShadow = (version: number): void => {
      a.send(trigger);
      a.send({ type: 'SAMPLES_READY' });
      a.send({ type: 'TRAINED', challenger: { name: 'dir', version } });
    };
    expect(outcome()).toBeNull();
    toShadow(2);
    a.send({ type: 'VALID' });
    a.send({ type: 'SHADOW_PROMOTE', reason: 'better by 0.05' });
    expect(outcome()).toEqual({ kind: 'promoted', reason: 'better by 0.05' });
    a.send({ type: 'SETTLED' });
    toShadow(3);
    a.send({ type: 'VALID' });
    a.send({ type: 'SHADOW_PROMOTE', reason: 'deployed by them', deployed: true });
    expect(outcome()).toEqual({ kind: 'deployed', reason: 'deployed by them' });
    a.send({ type: 'SETTLED' });
    toShadow(4);
    a.send({ type: 'VALID' });
    a.send({ type: 'SHADOW_REJECT', reason: 'worse' });
    expect(outcome()).toEqual({ kind: 'rejected', reason: 'worse' });
    a.send({ type: 'SETTLED' });
    toShadow(5);
    a.send({ type: 'INVALID', error: 'parity' });
    expect(outcome()).toEqual({ kind: 'failed', reason: 'parity' });
    a.send({ type: 'SETTLED' });
    a.send(trigger);
    a.send({ type: 'SAMPLES_READY' });
    a.send({ type: 'TRAIN_FAILED', error: 'worker crashed' });
    expect(outcome()).toEqual({ kind: 'failed', reason: 'worker crashed' });
    toShadow(6);
    a.send({ type: 'PAUSE', reason: 'inspection' });
    expect(outcome()).toEqual({ kind: 'abandoned', reason: 'paused while validating' });
    a.send({ type: 'RESUME' });
    toShadow(7);
    a.send({ type: 'VALID' });
    a.send({ type: 'PAUSE', reason: 'inspection' });
    a.send({ type: 'DEPLOYED_WHILE_PAUSED', reason: 'deployed by them' });
    expect(outcome()).toEqual({ kind: 'deployed', reason: 'deployed by them' });
  });

  it('rejects an invalid candidate or a losing challenger; a failed fit returns to idle', () => {
    const a = createActor(retrainingMachine).start();
    a.send(trigger);
    a.send({ type: 'SAMPLES_READY' });
    a.send({ type: 'TRAIN_FAILED', error: 'worker crashed' });
    expect(phaseOf(a.getSnapshot())).toBe('idle');
    expect(a.getSnapshot().context.lastOutcome).toBe('failed: worker crashed');
    a.send(trigger);
    a.send({ type: 'SAMPLES_READY' });
    a.send({ type: 'TRAINED', challenger: { name: 'dir', version: 3 } });
    a.send({ type: 'VALID' });
    a.send({ type: 'SHADOW_REJECT', reason: 'no better' });
    expect(phaseOf(a.getSnapshot())).toBe('rejected');
    a.send({ type: 'SETTLED' });
    expect(phaseOf(a.getSnapshot())).toBe('idle');
    // Events that do not apply are ignored (a stray TRAINED in idle).
    a.send({ type: 'TRAINED', challenger: { name: 'dir', version: 9 } });
    expect(phaseOf(a.getSnapshot())).toBe('idle');
  });

  it('pauses and resumes where it stood; pausing mid-training abandons the fit; triggers are ignored while paused', () => {
    const a = createActor(retrainingMachine).start();
    a.send(trigger);
    a.send({ type: 'SAMPLES_READY' });
    a.send({ type: 'TRAINED', challenger: { name: 'dir', version: 2 } });
    a.send({ type: 'VALID' });
    a.send({ type: 'PAUSE', reason: 'maintenance' });
    expect(phaseOf(a.getSnapshot())).toBe('paused');
    a.send(trigger);
    expect(phaseOf(a.getSnapshot())).toBe('paused');
    a.send({ type: 'RESUME' });
    expect(phaseOf(a.getSnapshot())).toBe('shadow');
    expect(a.getSnapshot().context.challenger).toEqual({ name: 'dir', version: 2 });

    const b = createActor(retrainingMachine).start();
    b.send(trigger);
    b.send({ type: 'SAMPLES_READY' });
    b.send({ type: 'PAUSE', reason: 'busy' });
    b.send({ type: 'TRAINED', challenger: { name: 'dir', version: 2 } }); // arrives late: ignored
    b.send({ type: 'RESUME' });
    expect(phaseOf(b.getSnapshot())).toBe('idle');
    expect(b.getSnapshot().context.lastOutcome).toBe('paused while training: cycle abandoned');
  });

  it('restores a persisted snapshot and continues from it', () => {
    const a = createActor(retrainingMachine).start();
    a.send(trigger);
    const persisted = JSON.parse(JSON.stringify({ phase: phaseOf(a.getSnapshot()), context: a.getSnapshot().context })) as { phase: 'collecting'; context: typeof a extends never ? never : ReturnType<typeof a.getSnapshot>['context'] };
    const b = createActor(retrainingMachine, { snapshot: restoreRetrainingSnapshot(persisted.phase, persisted.context) }).start();
    expect(phaseOf(b.getSnapshot())).toBe('collecting');
    expect(b.getSnapshot().context.trigger).toEqual(trigger.reason);
    b.send({ type: 'SAMPLES_READY' });
    expect(phaseOf(b.getSnapshot())).toBe('training');
  });

  // Snapshots stored before a cycle's end cleared the challenger (db2791d) still name the last
  // cycle's while idle: restored, `ctl retrain status` showed it until the next trigger.
  it('restores an idle snapshot stored with the last cycle\'s challenger without it, and keeps a running cycle\'s', () => {
    const old: RetrainingMachineContext = { trigger: trigger.reason, challenger: { name: 'dir', version: 2 }, resumeTo: 'idle', pauseReason: '', pausedBy: null, lastOutcome: 'promoted dir@2: won', cycles: 1 };
    const restored = (phase: RetrainingPhase, context: RetrainingMachineContext): RetrainingMachineContext =>
      createActor(retrainingMachine, { snapshot: restoreRetrainingSnapshot(phase, context) }).start().getSnapshot().context;
    expect(restored('idle', old)).toMatchObject({ challenger: null, lastOutcome: 'promoted dir@2: won', cycles: 1 });
    expect(restored('paused', { ...old, pauseReason: 'x' }).challenger).toBeNull();
    expect(restored('shadow', old).challenger).toEqual({ name: 'dir', version: 2 });
    expect(restored('paused', { ...old, resumeTo: 'shadow' }).challenger).toEqual({ name: 'dir', version: 2 });
  });
});
