import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkControlSubscription } from '../../cli/control-subscription-check.js';
import { watchSubscriptionRefusals } from '../../cli/subscription-refusals.js';
import type { Logger } from '../../state/logger.js';
import type { Bus, BusStatus } from '../../streams/bus.js';
import { BusError, SubscriptionRefusedError } from '../../streams/errors.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { stopNatsServer } from '../support/nats-server.js';
import { SHIPPED_NATS_PASSWORDS, startShippedNatsServer } from '../support/shipped-nats.js';

const PASSWORDS = SHIPPED_NATS_PASSWORDS;
const subjects = subjectsFor('sx');
const enc = new TextEncoder();

/** A logger that keeps its error lines. */
const recording = (errors: { fields: Record<string, unknown>; msg: string }[]): Logger => {
  const noop = (): void => {};
  const log: Logger = { debug: noop, info: noop, warn: noop, error: (fields, msg) => void errors.push({ fields, msg }), child: () => log };
  return log;
};

/** An engine run under a login that may not subscribe to sx.ctl.> (the desk's, in deploy/nats/sextant.conf) could not be halted and said nothing. */
describe('a core subscription the NATS server refuses (deploy/nats/sextant.conf on a real nats-server)', () => {
  const storeDir = mkdtempSync(join(tmpdir(), 'sextant-nats-subref-'));
  let server: ChildProcess | undefined;
  let url = '';
  const buses: Bus[] = [];
  const as = async (user: 'engine' | 'desk', pass: string, inboxPrefix = `_INBOX_${user}`): Promise<Bus> => {
    const b = await createNatsBus({ url, name: `subref-${user}`, connectTimeoutMs: 3000, requestTimeoutMs: 2000, user, pass, inboxPrefix });
    buses.push(b);
    return b;
  };

  beforeAll(async () => {
    ({ server, url } = await startShippedNatsServer(storeDir));
  });
  afterAll(async () => {
    for (const b of buses) await b.close().catch(() => {});
    if (server !== undefined) await stopNatsServer(server);
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('says which subject and which user when the control server (serve sx.ctl.>) is refused: accepted() rejects, a status, an error line, /readyz fails', async () => {
    const desk = await as('desk', PASSWORDS.SEXTANT_DESK_PASSWORD);
    const statuses: BusStatus[] = [];
    desk.onStatus((s) => statuses.push(s));
    const errors: { fields: Record<string, unknown>; msg: string }[] = [];
    const refusals = watchSubscriptionRefusals(desk, recording(errors), 'sextant');
    await refusals.probe(); // nothing refused yet
    const control = desk.serve('sx.ctl.>', () => enc.encode('{}'));
    const t0 = performance.now();
    const refused = await control.accepted?.().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(refused).toBeInstanceOf(SubscriptionRefusedError);
    const e = refused as SubscriptionRefusedError;
    expect(e.retryable).toBe(false);
    expect([e.subject, e.user]).toEqual(['sx.ctl.>', 'desk']);
    expect(e.message).toMatch(/NATS refused the subscription to "sx\.ctl\.>" for NATS user "desk".*permission to subscribe/);
    expect(statuses).toContainEqual({ type: 'subscription-refused', subject: 'sx.ctl.>', error: e.message });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.fields).toMatchObject({ subject: 'sx.ctl.>', connection: 'sextant' });
    expect(errors[0]?.msg).toMatch(/refused the subscription to sx\.ctl\.>/);
    await expect(refusals.probe()).rejects.toThrow(/subscriptions refused by NATS: .*"sx\.ctl\.>" for NATS user "desk"/);
    // Any other core subscription too (the retraining actor's model events).
    const models = desk.subscribe('sx.model.>', () => {});
    await expect(models.accepted?.()).rejects.toThrow(/"sx\.model\.>" for NATS user "desk"/);
    expect(refusals.refused().map((r) => r.subject)).toEqual(['sx.ctl.>', 'sx.model.>']);
    refusals.stop();
  });

  it("fails an engine's start whose login may not subscribe to sx.ctl.>, naming the subject and the user; the engine's login passes", async () => {
    const desk = await as('desk', PASSWORDS.SEXTANT_DESK_PASSWORD);
    const check = await checkControlSubscription(desk, subjects).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(check).toBeInstanceOf(SubscriptionRefusedError);
    expect((check as Error).message).toMatch(/^the engine cannot be controlled, so it does not start .*"sx\.ctl\.>" for NATS user "desk"/);
    const engine = await as('engine', PASSWORDS.SEXTANT_ENGINE_PASSWORD);
    await checkControlSubscription(engine, subjects);
    const served = engine.serve('sx.ctl.>', () => enc.encode('{}'));
    await served.accepted?.();
    served.unsubscribe();
  });

  it('ends a durable consumption whose login may not read its inbox prefix, not retryable, instead of retrying for ever', async () => {
    const engine = await as('engine', PASSWORDS.SEXTANT_ENGINE_PASSWORD);
    await engine.ensureStreams([{ name: 'SUBREF', subjects: ['sx.exec.fill.>'], maxAgeMs: 0, duplicateWindowMs: 60_000, storage: 'memory' }]);
    try {
      // The engine's login left on nats.js's default _INBOX (no nats.inboxPrefix): its pulls and JetStream API replies are refused.
      const old = await as('engine', PASSWORDS.SEXTANT_ENGINE_PASSWORD, '_INBOX');
      const statuses: BusStatus[] = [];
      old.onStatus((s) => statuses.push(s));
      const t0 = performance.now();
      const c = old.consume({ stream: 'SUBREF', durable: 'subref', filterSubject: '' }, () => {});
      const failed = await Promise.race([c.done.then(() => 'ended', (e: unknown) => e), new Promise((r) => setTimeout(() => r('still running'), 4_000))]);
      await c.stop();
      expect(failed).toBeInstanceOf(BusError);
      expect((failed as BusError).retryable).toBe(false);
      expect((failed as Error).message).toMatch(/subref.*reply inbox "_INBOX\.\S+".*_INBOX_engine/);
      expect(performance.now() - t0).toBeLessThan(3_000);
      expect(statuses.some((s) => s.type === 'consumer-error')).toBe(true);
    } finally {
      await engine.deleteStreams(['SUBREF']);
    }
  });
});
