import { describe, expect, it } from 'vitest';
import { retrainingControl } from '../../cli/engine-control.js';
import { loadConfig } from '../../config/load.js';
import { subjectsFor } from '../../streams/subjects.js';
import { RETRAINING_TEST_CONFIG, retrainingWorld, startWorldActor } from '../retraining/fixtures.js';

const cfg = { ...loadConfig(), prefix: 'rtpause', streamNamePrefix: 'RTPAUSE_' };
const subjects = subjectsFor(cfg.prefix);

describe('sextant ctl retrain pause of an actor that is already paused', () => {
  it('is refused, naming the first reason, which stands until a resume', async () => {
    const w = await retrainingWorld(cfg, subjects);
    const actor = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    const ctl = retrainingControl(actor, w.registry);
    try {
      await expect(ctl.pause({ reason: 'inspection of v1' }, 'alice')).resolves.toMatchObject({ phase: 'paused', pauseReason: 'inspection of v1', pausedBy: 'alice' });
      await expect(async () => ctl.pause({ reason: 'nightly' }, 'bob')).rejects.toMatchObject({
        code: 'REFUSED',
        message: 'retraining is already paused by alice ("inspection of v1"): nothing changed; resume it first to pause for another reason',
      });
      // A trigger while paused is refused, naming the resume that comes first.
      expect(actor.trigger('now', 'bob')).toMatchObject({ accepted: false, reason: 'retraining is paused, not idle: `sextant ctl retrain resume` comes first' });
      // The actor's own handle, behind the control, keeps the first reason too.
      actor.pause('nightly', 'bob');
      await actor.idle();
      expect(actor.status()).toMatchObject({ phase: 'paused', pauseReason: 'inspection of v1', pausedBy: 'alice' });
      await expect(ctl.resume({ reason: '' }, 'alice')).resolves.toMatchObject({ phase: 'idle', pauseReason: null, pausedBy: null });
      await expect(ctl.pause({ reason: 'nightly' }, 'bob')).resolves.toMatchObject({ phase: 'paused', pauseReason: 'nightly', pausedBy: 'bob' });
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  });
});

describe('sextant ctl retrain resume', () => {
  it('names who resumed it, as a pause names who paused, until the next pause, across a restart', async () => {
    const w = await retrainingWorld(cfg, subjects);
    let actor = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    try {
      let ctl = retrainingControl(actor, w.registry);
      expect(actor.status()).toMatchObject({ phase: 'idle', resumedBy: null });
      await ctl.pause({ reason: 'inspection of v1' }, 'alice');
      // Paused: nobody has resumed it since.
      expect(actor.status()).toMatchObject({ phase: 'paused', pausedBy: 'alice', resumedBy: null });
      await expect(ctl.resume({ reason: '' }, 'bob')).resolves.toMatchObject({ phase: 'idle', pausedBy: null, resumedBy: 'bob' });
      await actor.idle();
      // Stored with the machine's context: a new actor says so too.
      await actor.stop();
      actor = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
      ctl = retrainingControl(actor, w.registry);
      expect(actor.status()).toMatchObject({ phase: 'idle', resumedBy: 'bob' });
      await expect(ctl.pause({ reason: 'nightly' }, 'carol')).resolves.toMatchObject({ phase: 'paused', pausedBy: 'carol', resumedBy: null });
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  });
});

describe('sextant ctl retrain resume --reason', () => {
  it('keeps the reason the resume gave, as a pause keeps its own, until the next pause, across a restart', async () => {
    const w = await retrainingWorld(cfg, subjects);
    let actor = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    try {
      let ctl = retrainingControl(actor, w.registry);
      expect(actor.status()).toMatchObject({ phase: 'idle', resumeReason: null });
      await ctl.pause({ reason: 'inspection of v1' }, 'alice');
      expect(actor.status()).toMatchObject({ phase: 'paused', pauseReason: 'inspection of v1', resumeReason: null });
      await expect(ctl.resume({ reason: 'v1 inspected: fine' }, 'bob')).resolves.toMatchObject({ phase: 'idle', resumedBy: 'bob', resumeReason: 'v1 inspected: fine' });
      await actor.idle();
      // Stored with the machine's context: a new actor says so too.
      await actor.stop();
      actor = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
      ctl = retrainingControl(actor, w.registry);
      expect(actor.status()).toMatchObject({ phase: 'idle', resumedBy: 'bob', resumeReason: 'v1 inspected: fine' });
      // The next pause clears it; a resume without --reason says so (null), not the one before.
      await expect(ctl.pause({ reason: 'nightly' }, 'carol')).resolves.toMatchObject({ phase: 'paused', resumeReason: null });
      await expect(ctl.resume({ reason: '' }, 'dave')).resolves.toMatchObject({ phase: 'idle', resumedBy: 'dave', resumeReason: null });
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  });
});

describe('sextant ctl retrain pause while a promotion or rejection settles', () => {
  it('is refused (the machine would drop it) and the actor is not sent a pause', async () => {
    for (const phase of ['promoted', 'rejected'] as const) {
      let pauses = 0;
      const status = { phase, pauseReason: null, pausedBy: null } as unknown as ReturnType<Parameters<typeof retrainingControl>[0]['status']>;
      const ctl = retrainingControl({ status: () => status, trigger: () => ({ accepted: false, reason: '', status }), resume: () => status, pause: () => (pauses++, status) });
      await expect(async () => ctl.pause({ reason: 'hold' }, 'alice')).rejects.toMatchObject({ code: 'REFUSED', message: `retraining is settling a ${phase} challenger: nothing paused; try again in a moment` });
      expect(pauses).toBe(0);
    }
  });
});
