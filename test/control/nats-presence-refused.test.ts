import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimNamespace } from '../../cli/engine-presence.js';
import type { Bus } from '../../streams/bus.js';
import { PublishRefusedError } from '../../streams/errors.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { stopNatsServer } from '../support/nats-server.js';
import { SHIPPED_NATS_PASSWORDS, startShippedNatsServer } from '../support/shipped-nats.js';
import { recordingLogger } from '../support/recording-logger.js';
import type { LogLine } from '../support/recording-logger.js';

const PASSWORDS = SHIPPED_NATS_PASSWORDS;

/** `sextant run` under the desk's login warned with nats.js's bare 'Permissions Violation for Publish to "sx.engine.presence"' before the streams' refusal ended it. */
describe("the engine's presence probe under a login that may not publish it (deploy/nats/sextant.conf on a real nats-server)", () => {
  let server: ChildProcess | undefined;
  let url = '';
  const buses: Bus[] = [];
  const as = async (user: 'engine' | 'desk', pass: string): Promise<Bus> => {
    const b = await createNatsBus({ url, name: `presenceref-${user}`, connectTimeoutMs: 3000, requestTimeoutMs: 2000, user, pass, inboxPrefix: `_INBOX_${user}` });
    buses.push(b);
    return b;
  };
  // The prefix deploy/nats/sextant.conf grants: the engine's own subjects.
  const subjects = subjectsFor('sx');

  beforeAll(async () => {
    ({ server, url } = await startShippedNatsServer());
  });
  afterAll(async () => {
    for (const b of buses) await b.close().catch(() => {});
    if (server !== undefined) await stopNatsServer(server);
  });

  it('warns naming the login, the subject, the permission it lacks and the engine user to run as; the request is a PublishRefusedError', async () => {
    const desk = await as('desk', PASSWORDS.SEXTANT_DESK_PASSWORD);
    const e = await desk.request(subjects.enginePresence(), new TextEncoder().encode('{}'), 1000).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(PublishRefusedError);
    expect([(e as PublishRefusedError).subject, (e as PublishRefusedError).user, (e as PublishRefusedError).retryable]).toEqual(['sx.engine.presence', 'desk', false]);
    const lines: LogLine[] = [];
    (await claimNamespace(desk, subjects, recordingLogger(lines))).unsubscribe();
    const warned = lines.filter((l) => l.level === 'warn');
    expect(warned).toHaveLength(1);
    const msg = warned[0]?.msg ?? '';
    expect(msg).toMatch(/^NATS refused NATS user "desk" the publish to "sx\.engine\.presence" \(Permissions Violation for Publish\): the engine's presence probe needs the permission to publish to "sx\.engine\.presence"/);
    expect(msg).toMatch(/run the engine as the engine user \(deploy\/nats\/sextant\.conf: .*config nats\.user: engine/);
    expect(warned[0]?.fields).toEqual({ subject: 'sx.engine.presence', user: 'desk' });
  });

  it('the engine login claims the namespace without a word', async () => {
    const engine = await as('engine', PASSWORDS.SEXTANT_ENGINE_PASSWORD);
    const lines: LogLine[] = [];
    (await claimNamespace(engine, subjects, recordingLogger(lines))).unsubscribe();
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
  });
});
