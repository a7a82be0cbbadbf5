import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startGatewayRuntime } from '../../../cli/gateway-runtime.js';
import { loadConfig } from '../../../config/load.js';
import type { Config } from '../../../config/schema.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import type { ModelRegistry } from '../../../models/registry/model-registry.js';
import { createPgModelRegistry } from '../../../models/registry/pg-model-registry.js';
import { createSimulatedClock } from '../../../state/clocks/simulated-clock.js';
import { seedModelsSnapshot } from '../../../gateways/ws/models-seed.js';
import { modelEventsPattern } from '../../../gateways/ws/topics.js';
import { REJECTED_PER_MODEL } from '../../../gateways/ws/rejected-versions.js';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import type { Logger } from '../../../state/logger.js';
import { silentLogger } from '../../../state/logger.js';
import type { Bus, StoredPage } from '../../../streams/bus.js';
import { createMemoryBus } from '../../../streams/memory-bus.js';
import type { ModelEvent } from '../../../streams/messages/model-event.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../../streams/provision.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { newModel, onnxBytes } from '../../contract/model-registry.fixtures.js';
import { dropSchema } from '../../support/pg.js';
import { connectFeed, json, NATS_URL, startTestGateway, VIEWER } from './gateway-harness.js';
import type { FeedClient } from './gateway-harness.js';
import { modelEvent, T0 } from './model-events.fixtures.js';

type Update = Extract<ServerMessage, { type: 'snapshot' | 'delta' }>;
type Line = { level: string; msg: string; fields: Record<string, unknown> };

const recordingLogger = (lines: Line[]): Logger => {
  const at = (level: string) => (fields: Record<string, unknown>, msg: string): void => void lines.push({ level, msg, fields });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
};

const tag = (): string => randomBytes(5).toString('hex');
const configFor = (t: string): Config =>
  loadConfig({ env: {}, overrides: { prefix: `ms${t}`, streamNamePrefix: `MS${t}_`, gateway: { enabled: true, port: 0 } } });

const snapshotOf = (messages: readonly ServerMessage[]): unknown[][] =>
  messages.filter((m): m is Update => m.type === 'snapshot').map((u) => [u.key, (u.data as ModelEvent).event, (u.data as ModelEvent).alias, (u.data as ModelEvent).version]);

/** A feed client subscribed to `models`, once the gateway said so: what it was sent first is in its messages. */
async function modelsFeed(url: string): Promise<FeedClient> {
  const c = await connectFeed(url, { token: VIEWER });
  c.send({ op: 'subscribe', topic: 'models' });
  await c.waitFor((m) => m.type === 'subscribed');
  return c;
}

/** Starts the gateway `sextant run` builds, subscribes a new client to `models` and returns what it was sent first. */
async function subscribeAfterStart(cfg: Config, bus: Bus, log: Logger = silentLogger, registry?: ModelRegistry): Promise<{ messages: ServerMessage[]; close(): Promise<void>; emitModel(e: ModelEvent): void }> {
  const runtime = await startGatewayRuntime(cfg, bus, {}, log, { env: { SEXTANT_VIEWER_TOKEN: VIEWER }, metrics: createEngineMetrics({ defaultMetrics: false }), ...(registry !== undefined ? { registry } : {}) });
  const c = await modelsFeed(`${runtime.server.url.replace('http:', 'ws:')}/ws`);
  return {
    messages: c.messages,
    emitModel: (e) => bus.emit(subjectsFor(cfg.prefix).model(e.name, e.event), json(e)),
    close: async () => {
      c.ws.close();
      await c.closed;
      await runtime.close();
    },
  };
}

describe.each([
  ['real NATS', (): Promise<Bus> => createNatsBus({ url: NATS_URL, name: 'feed-models-seed', connectTimeoutMs: 3000 })],
  ['the in-process bus', async (): Promise<Bus> => createMemoryBus()],
])('the models snapshot after the gateway starts (%s)', (_name, openBus) => {
  it.each<[string, ModelEvent[], unknown[][]]>([
    [
      'holds what each alias serves from registry events published before the gateway started',
      [
        modelEvent(1, { name: 'dir-mlp', event: 'registered', version: 3, alias: null }),
        modelEvent(2, { name: 'dir-mlp', event: 'promoted', version: 3, alias: 'production' }),
        modelEvent(3, { name: 'dir-mlp', event: 'promoted', version: 4, alias: 'staging' }),
        modelEvent(4, { name: 'dir-mlp', event: 'registered', version: 5, alias: null }),
        modelEvent(5, { name: 'dir-mlp', event: 'rejected', version: 5, alias: null }),
        modelEvent(6, { name: 'dir-lr', event: 'promoted', version: 1, alias: 'production' }),
        modelEvent(7, { name: 'dir-lr', event: 'promoted', version: 2, alias: 'production' }),
      ],
      // As for relayed events: what each alias was last moved to, and the newest event of each other kind.
      [
        ['dir-mlp', 'promoted', 'production', 3],
        ['dir-mlp', 'promoted', 'staging', 4],
        ['dir-mlp', 'registered', null, 5],
        ['dir-mlp', 'rejected', null, 5],
        ['dir-lr', 'promoted', 'production', 2],
      ],
    ],
    [
      'drops an alias a stored rejection cleared: the rejected version is no longer listed under it',
      [
        modelEvent(1, { name: 'dir-mlp', event: 'promoted', version: 3, alias: 'production' }),
        modelEvent(2, { name: 'dir-mlp', event: 'promoted', version: 4, alias: 'staging' }),
        modelEvent(3, { name: 'dir-mlp', event: 'promoted', version: 4, alias: 'canary' }),
        modelEvent(4, { name: 'dir-mlp', event: 'promoted', version: 5, alias: 'shadow' }),
        modelEvent(5, { name: 'dir-mlp', event: 'rejected', version: 4, alias: null }),
      ],
      // The registry's reject cleared staging and canary (both v4); shadow names another version.
      [
        ['dir-mlp', 'promoted', 'production', 3],
        ['dir-mlp', 'promoted', 'shadow', 5],
        ['dir-mlp', 'rejected', null, 4],
      ],
    ],
    [
      'holds an alias removal in its alias\'s slot: the promotion it undid is no longer listed under it',
      [
        modelEvent(1, { name: 'dir-mlp', event: 'promoted', version: 3, alias: 'production' }),
        modelEvent(2, { name: 'dir-mlp', event: 'promoted', version: 4, alias: 'candidate' }),
        modelEvent(3, { name: 'dir-mlp', event: 'promoted', version: 4, alias: 'production' }),
        modelEvent(4, { name: 'dir-mlp', event: 'alias_removed', version: 4, alias: 'candidate' }),
      ],
      // Before, the removal took a slot of its own and `dir-mlp@candidate` still named v4.
      [
        ['dir-mlp', 'promoted', 'production', 4],
        ['dir-mlp', 'alias_removed', 'candidate', 4],
      ],
    ],
  ])('%s', async (_title, stored, snapshot) => {
    const cfg = configFor(tag());
    const bus = await openBus();
    const specs = streamSpecs(cfg, { storage: 'memory' });
    await bus.ensureStreams(specs);
    const subjects = subjectsFor(cfg.prefix);
    try {
      for (const e of stored) await bus.publish(subjects.model(e.name, e.event), json(e));
      const feed = await subscribeAfterStart(cfg, bus);
      try {
        expect(snapshotOf(feed.messages)).toEqual(snapshot);
      } finally {
        await feed.close();
      }
    } finally {
      await bus.deleteStreams(specs.map((s) => s.name));
      await bus.close();
    }
  });

  it('reads every stored event past the read bound, a page at a time: an alias moved long before the newest page still shows', async () => {
    const cfg = configFor(tag());
    const bus = await openBus();
    const specs = streamSpecs(cfg, { storage: 'memory' });
    await bus.ensureStreams(specs);
    const subjects = subjectsFor(cfg.prefix);
    const lines: Line[] = [];
    // 2 promotions, then 11 cycles of registered + rejected, then a staging move: 25 events, pages of 4.
    const stored = [
      modelEvent(1, { name: 'dir-mlp', event: 'promoted', version: 3, alias: 'production' }),
      modelEvent(2, { name: 'dir-lr', event: 'promoted', version: 1, alias: 'production' }),
      ...Array.from({ length: 11 }, (_, i) => [
        modelEvent(3 + 2 * i, { name: 'dir-mlp', event: 'registered', version: 4 + i, alias: null }),
        modelEvent(4 + 2 * i, { name: 'dir-mlp', event: 'rejected', version: 4 + i, alias: null }),
      ]).flat(),
      modelEvent(25, { name: 'dir-mlp', event: 'promoted', version: 14, alias: 'staging' }),
    ];
    for (const e of stored) await bus.publish(subjects.model(e.name, e.event), json(e));
    // Started after the events were stored: the hub relayed none of them.
    const gw = await startTestGateway({ bus, prefix: cfg.prefix });
    try {
      const outcome = await seedModelsSnapshot({ bus, hub: gw.hub, stream: streamName(cfg, 'OUTCOMES'), subjects, log: recordingLogger(lines), max: 4 });
      expect(outcome).toEqual({ outcome: 'seeded', kept: 5 });
      expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
      expect(lines.find((l) => /seeded/.test(l.msg))?.fields).toMatchObject({ events: 25, kept: 5 });
      const c = await modelsFeed(gw.wsUrl);
      expect(snapshotOf(c.messages)).toEqual([
        ['dir-mlp', 'promoted', 'production', 3],
        ['dir-lr', 'promoted', 'production', 1],
        ['dir-mlp', 'registered', null, 14],
        ['dir-mlp', 'rejected', null, 14],
        ['dir-mlp', 'promoted', 'staging', 14],
      ]);
      c.ws.close();
    } finally {
      await gw.close();
      await bus.deleteStreams(specs.map((s) => s.name));
      await bus.close();
    }
  });

  it('starts, warns and relays model events as before when the stream cannot be read', async () => {
    const cfg = configFor(tag()); // its streams are never provisioned
    const bus = await openBus();
    const lines: Line[] = [];
    try {
      const feed = await subscribeAfterStart(cfg, bus, recordingLogger(lines));
      try {
        expect(snapshotOf(feed.messages)).toEqual([]);
        expect(lines.filter((l) => l.level === 'warn' && /cannot seed the feed models snapshot/.test(l.msg)).map((l) => l.fields['stream'])).toEqual([`MS${cfg.prefix.slice(2)}_OUTCOMES`]);
        feed.emitModel(modelEvent(1, { name: 'dir-lr', event: 'promoted', version: 7, alias: 'production' }));
        const end = Date.now() + 5_000;
        while (!feed.messages.some((m) => m.type === 'delta') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
        expect(feed.messages.filter((m): m is Update => m.type === 'delta').map((u) => (u.data as ModelEvent).version)).toEqual([7]);
      } finally {
        await feed.close();
      }
    } finally {
      await bus.close();
    }
  });
});

describe('seeding the models snapshot', () => {
  it('keeps a stored event only where nothing was relayed since the start, and hands it to subscribers already there', async () => {
    const gw = await startTestGateway();
    try {
      const c = await modelsFeed(gw.wsUrl);
      const live = modelEvent(9, { name: 'dir-mlp', event: 'promoted', version: 4, alias: 'production' });
      gw.bus.emit(gw.subjects.model(live.name, live.event), json(live));
      await c.waitFor((m) => m.type === 'delta');
      const stored = [modelEvent(1, { name: 'dir-mlp', event: 'promoted', version: 3, alias: 'production' }), modelEvent(2, { name: 'dir-mlp', event: 'registered', version: 5, alias: null })];
      const kept = gw.hub.seed(stored.map((e, i) => ({ subject: gw.subjects.model(e.name, e.event), data: json(e), streamSeq: i + 1 })));
      expect(kept).toBe(1);
      await c.waitFor((m) => m.type === 'delta' && (m.data as ModelEvent).event === 'registered');
      const c2 = await modelsFeed(gw.wsUrl);
      expect(snapshotOf(c2.messages)).toEqual([
        ['dir-mlp', 'promoted', 'production', 4],
        ['dir-mlp', 'registered', null, 5],
      ]);
      c.ws.close();
      c2.ws.close();
    } finally {
      await gw.close();
    }
  });

  /**
   * The stream (and the registry) is read while the gateway already relays: a rejection relayed
   * during the read drops its version's alias slots (78bde01), but a read that began before it
   * still holds the promotion, and `seed` put it back (only slots filled live were skipped), so a
   * later subscriber was sent staging v4 next to its rejection.
   */
  it('does not bring back an alias move of a version rejected live since the start', async () => {
    const bus = createMemoryBus();
    const gw = await startTestGateway({ bus });
    try {
      const live = modelEvent(9, { name: 'dir-mlp', event: 'rejected', version: 4, alias: null });
      gw.bus.emit(gw.subjects.model(live.name, live.event), json(live));
      await gw.bus.flush();
      const end = Date.now() + 5_000;
      while (gw.hub.stats().seq.models < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      // The read's snapshot, from before the rejection: staging and canary v4 still promoted; another
      // model's staging v4 stays.
      const stored = [
        modelEvent(1, { name: 'dir-mlp', event: 'promoted', version: 3, alias: 'production' }),
        modelEvent(2, { name: 'dir-mlp', event: 'promoted', version: 4, alias: 'staging' }),
        modelEvent(3, { name: 'dir-mlp', event: 'promoted', version: 4, alias: 'canary' }),
        modelEvent(4, { name: 'dir-lr', event: 'promoted', version: 4, alias: 'staging' }),
      ];
      const kept = gw.hub.seed(stored.map((e, i) => ({ subject: gw.subjects.model(e.name, e.event), data: json(e), streamSeq: i + 1 })));
      expect(kept).toBe(2);
      const c = await modelsFeed(gw.wsUrl);
      expect(snapshotOf(c.messages)).toEqual([
        ['dir-mlp', 'rejected', null, 4],
        ['dir-mlp', 'promoted', 'production', 3],
        ['dir-lr', 'promoted', 'staging', 4],
      ]);
      // A promotion relayed afterwards takes the slot again.
      const next = modelEvent(10, { name: 'dir-mlp', event: 'promoted', version: 6, alias: 'staging' });
      gw.bus.emit(gw.subjects.model(next.name, next.event), json(next));
      await c.waitFor((m) => m.type === 'delta' && (m.data as ModelEvent).version === 6);
      const later = await modelsFeed(gw.wsUrl);
      expect(snapshotOf(later.messages)).toContainEqual(['dir-mlp', 'promoted', 'staging', 6]);
      c.ws.close();
      later.ws.close();
    } finally {
      await gw.close();
      await bus.close();
    }
  });

  it('forgets the rejections it relayed once the seed ran, and remembers a bounded number before', async () => {
    const bus = createMemoryBus();
    const gw = await startTestGateway({ bus });
    try {
      const n = REJECTED_PER_MODEL + 8;
      for (let v = 1; v <= n; v++) {
        const e = modelEvent(v, { name: 'dir-mlp', event: 'rejected', version: v, alias: null });
        gw.bus.emit(gw.subjects.model(e.name, e.event), json(e));
      }
      await gw.bus.flush();
      const end = Date.now() + 5_000;
      while (gw.hub.stats().seq.models < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(gw.hub.stats().rejectedVersions).toBe(REJECTED_PER_MODEL);
      gw.hub.seed([]);
      expect(gw.hub.stats().rejectedVersions).toBe(0);
      const after = modelEvent(n + 1, { name: 'dir-mlp', event: 'rejected', version: n + 1, alias: null });
      gw.bus.emit(gw.subjects.model(after.name, after.event), json(after));
      await gw.bus.flush();
      while (gw.hub.stats().seq.models < n + 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(gw.hub.stats()).toMatchObject({ seq: { models: n + 1 }, rejectedVersions: 0 });
    } finally {
      await gw.close();
      await bus.close();
    }
  });

  it('does not hold the gateway up past its wait, and seeds when a late read answers', async () => {
    let answer: (page: StoredPage) => void = () => {};
    const seeded: number[] = [];
    const outcome = await seedModelsSnapshot({
      bus: { readFrom: () => new Promise((r) => (answer = r)) },
      hub: { seed: (msgs) => (seeded.push(msgs.length), msgs.length) },
      stream: 'OUTCOMES',
      subjects: subjectsFor('sx'),
      log: silentLogger,
      waitMs: 20,
    });
    expect(outcome).toEqual({ outcome: 'pending' });
    answer({ messages: [{ subject: 'sx.model.a.promoted', data: json({}), streamSeq: 1 }], remaining: 0 });
    await new Promise((r) => setImmediate(r));
    expect(seeded).toEqual([1]);
  });
});

describe('the models snapshot when the stream lost the registry events (real NATS and PostgreSQL)', () => {
  const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

  /**
   * A registry of its own whose events were announced into OUTCOMES, then the streams deleted and
   * made again, as `sextant demo` resets them at each run while the registry keeps its aliases.
   */
  async function registryAfterReset(fn: (h: { cfg: Config; bus: Bus; registry: ModelRegistry; events: Record<string, ModelEvent> }) => Promise<void>): Promise<void> {
    const t = tag();
    const cfg = configFor(t);
    const schema = `sx_ms_${t}`;
    const artifactDir = await mkdtemp(join(tmpdir(), 'sx-ms-models-'));
    const bus = await createNatsBus({ url: NATS_URL, name: 'feed-models-seed-registry', connectTimeoutMs: 3000 });
    const specs = streamSpecs(cfg, { storage: 'memory' });
    const clock = createSimulatedClock(T0);
    let registry: ModelRegistry | undefined;
    try {
      await bus.ensureStreams(specs);
      registry = await createPgModelRegistry({ url: PG_URL, schema, artifactDir, bus, subjects: subjectsFor(cfg.prefix), clock, poolSize: 2 });
      for (const seed of [1, 2]) await registry.register(newModel('direction-mlp'), onnxBytes(seed));
      clock.advanceTo(T0 + 60_000);
      const production = await registry.promote('direction-mlp', 1, { actor: 'demo', reason: 'first run' });
      const staging = await registry.promote('direction-mlp', 2, { alias: 'staging', actor: 'ops', reason: 'try it' });
      await bus.deleteStreams(specs.map((s) => s.name));
      await bus.ensureStreams(specs);
      await fn({ cfg, bus, registry, events: { production, staging } });
    } finally {
      await registry?.close();
      await bus.deleteStreams(specs.map((s) => s.name));
      await bus.close();
      await dropSchema(PG_URL, schema);
      await rm(artifactDir, { recursive: true, force: true });
    }
  }

  it('shows what each alias serves, read from the registry, when the stream holds no event of it', async () => {
    await registryAfterReset(async ({ cfg, bus, registry, events }) => {
      const lines: Line[] = [];
      const feed = await subscribeAfterStart(cfg, bus, recordingLogger(lines), registry);
      try {
        expect(snapshotOf(feed.messages)).toEqual([
          ['direction-mlp', 'promoted', 'production', 1],
          ['direction-mlp', 'promoted', 'staging', 2],
        ]);
        // The events as they were announced (id, time, who and why), not a promotion made up now.
        const data = feed.messages.filter((m): m is Update => m.type === 'snapshot').map((u) => u.data);
        expect(data).toEqual([events['production'], events['staging']]);
        expect(lines.find((l) => /seeded/.test(l.msg))?.fields).toMatchObject({ events: 0, fromRegistry: 2, kept: 2 });
        expect(lines.filter((l) => l.level === 'warn' && /models snapshot|registry|model events/.test(l.msg))).toEqual([]);
      } finally {
        await feed.close();
      }
      // Nothing was published: the stream still holds no model event.
      const stored = await bus.readFrom(streamName(cfg, 'OUTCOMES'), modelEventsPattern(subjectsFor(cfg.prefix)), { max: 10 });
      expect(stored.messages).toEqual([]);
    });
  });

  it('drops an alias the registry no longer holds (a reject cleared it) although the stream still names it', async () => {
    await registryAfterReset(async ({ cfg, bus, registry, events }) => {
      const subjects = subjectsFor(cfg.prefix);
      // Staging v2 rejected: the registry clears the alias. The stream kept the promotion, not the rejection.
      await registry.reject('direction-mlp', 2, { actor: 'ops', reason: 'worse than production' });
      const specs = streamSpecs(cfg, { storage: 'memory' });
      await bus.deleteStreams(specs.map((s) => s.name));
      await bus.ensureStreams(specs);
      await bus.publish(subjects.model('direction-mlp', 'promoted'), json(events['staging'] as ModelEvent));
      const lines: Line[] = [];
      const feed = await subscribeAfterStart(cfg, bus, recordingLogger(lines), registry);
      try {
        expect(snapshotOf(feed.messages)).toEqual([['direction-mlp', 'promoted', 'production', 1]]);
        expect(lines.find((l) => /seeded/.test(l.msg))?.fields).toMatchObject({ aliasesGone: ['direction-mlp@staging'], fromRegistry: 1, kept: 1 });
      } finally {
        await feed.close();
      }
    });
  });

  it('takes the registry\'s word on an alias the stream names another version for, and keeps the stream\'s other events', async () => {
    await registryAfterReset(async ({ cfg, bus, registry, events }) => {
      const subjects = subjectsFor(cfg.prefix);
      // The stream kept an older production move (v7 here) and a later registration; the registry says v1.
      const stale = modelEvent(1, { name: 'direction-mlp', event: 'promoted', version: 7, alias: 'production' });
      const registered = modelEvent(2, { name: 'direction-mlp', event: 'registered', version: 8, alias: null });
      for (const e of [stale, registered, events['staging'] as ModelEvent]) await bus.publish(subjects.model(e.name, e.event), json(e));
      const feed = await subscribeAfterStart(cfg, bus, silentLogger, registry);
      try {
        expect(snapshotOf(feed.messages)).toEqual([
          ['direction-mlp', 'registered', null, 8],
          ['direction-mlp', 'promoted', 'staging', 2],
          ['direction-mlp', 'promoted', 'production', 1],
        ]);
      } finally {
        await feed.close();
      }
    });
  });
});
