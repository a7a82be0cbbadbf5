import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import { retrainingControl } from '../../cli/engine-control.js';
import { loadConfig } from '../../config/load.js';
import { ControlReplySchema } from '../../gateways/control/control-messages.js';
import type { ControlReply } from '../../gateways/control/control-messages.js';
import { startControlServer } from '../../gateways/control/control-server.js';
import type { ControlTarget } from '../../gateways/control/control-target.js';
import { createRetrainingTracker } from '../../models/mlflow/retraining-tracker.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createPgModelRegistry } from '../../models/registry/pg-model-registry.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createPgTrainingSampleStore } from '../../state/pg-training-sample-store.js';
import type { TrainingSample, TrainingSampleStore } from '../../state/training-sample-store.js';
import type { Bus } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import type { ModelEvent } from '../../streams/messages/model-event.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { dropSchema } from '../support/pg.js';
import { collect, until } from '../labeling/harness.js';
import { ctlRunner } from '../support/ctl.js';
import { ctlInProcess } from '../support/ctl-in-process.js';
import { labelOf, registerChampion, samplesOf } from './fixtures.js';
import { startMlflowServer } from './mlflow-server.js';

// Real NATS JetStream (own stream names and subject prefix) and real PostgreSQL (own schema).
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const tag = randomUUID().replaceAll('-', '').slice(0, 10);
const schema = `sx_rtr_${tag}`;
const cfgBase = { ...loadConfig(), prefix: `rtr${tag}`, streamNamePrefix: `R${tag}_` };
const subjects = subjectsFor(cfgBase.prefix);
const specs = streamSpecs(loadConfig(), { namePrefix: cfgBase.streamNamePrefix, subjectPrefix: cfgBase.prefix, storage: 'memory' });
const OUTCOMES = streamName(cfgBase, 'OUTCOMES');

let bus: Bus;
let store: TrainingSampleStore;
let registry: ModelRegistry;
let artifactDir: string;
let mlflow: Awaited<ReturnType<typeof startMlflowServer>>;
const enc = new TextEncoder();
const dec = new TextDecoder();

beforeAll(async () => {
  bus = await createNatsBus({ url: NATS_URL, name: 'retraining-e2e', connectTimeoutMs: 3000 });
  await bus.ensureStreams(specs);
  store = await createPgTrainingSampleStore({ url: PG_URL, schema });
  artifactDir = await mkdtemp(join(tmpdir(), 'sx-rtr-'));
  registry = await createPgModelRegistry({ url: PG_URL, schema, artifactDir, bus, subjects, clock: createLiveClock() });
  mlflow = await startMlflowServer();
});
afterAll(async () => {
  await registry.close();
  await store.close();
  await bus.deleteStreams(specs.map((s) => s.name));
  await bus.close();
  await dropSchema(PG_URL, schema);
  await rm(artifactDir, { recursive: true, force: true });
  await mlflow.close();
});

/** What the labeling actor does: commit the samples, publish their labels. */
async function label(samples: readonly TrainingSample[]): Promise<void> {
  await store.commit({ samples });
  for (const s of samples) await bus.publish(subjects.label('s1', s.venue, s.symbol), encode(labelOf(s)), { msgId: `lbl:${s.id}` });
}

/**
 * `sextant ctl …` as operator `carol`: by the command's own code in this process (one to two
 * seconds less a run than a process), and in a process of its own for the refusal (exit 1, stderr).
 */
const sextantCtl = ctlInProcess(NATS_URL, () => cfgBase.prefix);
const sextantCtlProcess = ctlRunner(NATS_URL, () => cfgBase.prefix);

async function ctl(verb: string, args: Record<string, unknown>): Promise<ControlReply> {
  const raw = await bus.request(subjects.control(verb), enc.encode(JSON.stringify({ v: 1, id: randomUUID(), operator: 'tester', args })), 5000);
  return ControlReplySchema.parse(JSON.parse(dec.decode(raw)));
}

describe('retraining actor on NATS JetStream and PostgreSQL', () => {
  it('triggers on schedule, trains a challenger in a worker, shadows, promotes it, then rolls it back when it decays; ctl and MLflow follow', async () => {
    // The champion learned an old regime (label = sign of −f1); its training samples are stored.
    const old = samplesOf(0, 300, -1, 1);
    await store.commit({ samples: old });
    const v1 = await registerChampion(registry, old);
    expect(v1.version).toBe(1);

    const events = collect<ModelEvent>(bus, OUTCOMES, subjects.model('dir', '*'));
    const config = RetrainingConfigSchema.parse({
      enabled: true,
      triggers: { everyLabels: 120, decayWindow: 10_000, adwinDelta: 0, psiWindow: 10_000 },
      training: { minSamples: 100, maxSamples: 120, epochs: 25, seed: 7 },
      shadow: { predictions: 60, margin: 0.05 },
      rollback: { watchLabels: 1000, minLabels: 50, margin: 0.02 },
      consumer: { batchSize: 40, ackWaitMs: 120_000 },
      mlflow: { trackingUrl: mlflow.url, experiment: 'sx-e2e' },
    });
    const actor: RetrainingActorHandle = await startRetrainingActor({
      bus, subjects, samples: store, registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config,
      streams: { OUTCOMES }, tracker: createRetrainingTracker(config.mlflow, silentLogger),
    });
    const target: ControlTarget = {
      status: () => ({}), halt: () => ({}), resume: () => ({}), reduce: () => ({}), getLimits: () => ({}), setLimits: () => ({}),
      listModels: () => Promise.resolve([]), deployModel: () => Promise.resolve({}), rollbackModel: () => Promise.resolve({}), removeModelAlias: () => Promise.resolve({}),
      retraining: retrainingControl(actor),
    };
    const server = startControlServer({ bus, subjects, target, audit: createMemoryAuditStore(), clock: createLiveClock(), log: silentLogger });
    try {
      // The regime flips (label = sign of +f1): 120 labels trigger the schedule, the challenger is fitted on them.
      const fresh = samplesOf(300, 183, 1, 2);
      await label(fresh.slice(0, 120));
      await until('challenger in shadow', () => actor.status().phase === 'shadow', 120_000);
      expect(actor.status().trigger?.kind).toBe('schedule');
      expect(actor.status().challenger).toEqual({ name: 'dir', version: 2 });
      expect((await registry.get('dir@candidate')).version).toBe(2);
      expect((await registry.get('dir@production')).version).toBe(1);
      const v2 = await registry.get('dir@2');
      expect(v2.parentVersion).toBe(1);
      expect(v2.trainRange.to).toBe(fresh[118]!.labeledTs + 1); // samples labeled before the trigger label only

      // `sextant ctl retrain …` while shadowing: status, pause (a trigger is refused), resume.
      const st = await sextantCtl('retrain', 'status');
      expect(st.status, st.stderr).toBe(0);
      expect(st.out).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 2 } });
      expect(await sextantCtl('retrain', 'pause')).toMatchObject({ status: 1 }); // a reason is required
      const paused = await sextantCtl('retrain', 'pause', '--reason', 'inspection');
      expect(paused.out).toMatchObject({ phase: 'paused', pauseReason: 'inspection' });
      expect(actor.status().phase).toBe('paused');
      const refused = await sextantCtlProcess('retrain', 'trigger', '--reason', 'now');
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/^sextant ctl: REFUSED: /);
      const resumed = await sextantCtl('retrain', 'resume');
      expect(resumed.out).toMatchObject({ phase: 'shadow' });
      expect(actor.status().phase).toBe('shadow');

      // 60 shared labels (of 63: the first 3 overlap its training labels, purged): the challenger (new
      // regime) beats the champion by far more than the margin.
      await label(fresh.slice(120, 183));
      await until('promotion', async () => (await registry.get('dir@production')).version === 2, 60_000);
      await until('promoted event', () => events.msgs.some((e) => e.event === 'promoted' && e.alias === 'production' && e.version === 2), 10_000);
      const promoted = events.msgs.find((e) => e.event === 'promoted' && e.alias === 'production' && e.version === 2);
      expect(promoted).toMatchObject({ name: 'dir', version: 2, previousVersion: 1, actor: 'sextant-retraining' });
      expect(promoted?.reason).toMatch(/challenger log loss .* vs champion/);
      await actor.idle();
      const s1 = actor.status();
      expect(s1.phase).toBe('idle');
      expect(s1.counters.promotions).toBe(1);
      expect(s1.watch).toMatchObject({ version: 2, previousVersion: 1 });

      // The world changes back, with wilder inputs: on these labels the promoted model does far worse than the old champion scored beside it.
      await label(samplesOf(483, 60, -1, 3, 3));
      await until('rollback', async () => (await registry.get('dir@production')).version === 1, 60_000);
      await until('rolled_back event', () => events.msgs.some((e) => e.event === 'rolled_back'), 10_000);
      expect(events.msgs.find((e) => e.event === 'rolled_back')).toMatchObject({ name: 'dir', version: 1, previousVersion: 2 });
      await actor.idle();
      expect(actor.status().counters.rollbacks).toBe(1);
      expect(actor.status().champion).toEqual({ name: 'dir', version: 1 });

      // An operator trigger starts a cycle at once (the samples labeled so far are enough): a new challenger in shadow.
      const triggered = await ctl('retrain.trigger', { reason: 'after the rollback' });
      expect(triggered.ok && (triggered.result as { phase: string }).phase).toBe('collecting');
      await until('operator challenger in shadow', () => actor.status().phase === 'shadow', 120_000);
      expect(actor.status().trigger).toEqual({ kind: 'operator', detail: 'tester: after the rollback' });
      expect(actor.status().challenger).toEqual({ name: 'dir', version: 3 });
      expect((await registry.get('dir@3')).trainRange.to).toBe(Math.max(...samplesOf(483, 60, -1, 3, 3).map((x) => x.labeledTs)) + 1);

      // MLflow: one run for the cycle, with its parameters, metrics, the model version and the outcome.
      const paths = mlflow.calls.map((c) => `${c.method} ${c.path}`);
      expect(paths.slice(0, 4)).toEqual(['GET experiments/get-by-name', 'POST experiments/create', 'POST runs/create', 'POST runs/log-batch']);
      expect(mlflow.calls[2]?.body).toMatchObject({ experiment_id: '1', start_time: fresh[119]!.labeledTs, tags: expect.arrayContaining([{ key: 'sextant.trigger', value: 'schedule' }]) as unknown });
      const metricKeys = mlflow.calls.flatMap((c) => ((c.body?.['metrics'] ?? []) as { key: string }[]).map((m) => m.key));
      expect(metricKeys).toEqual(expect.arrayContaining(['val_log_loss', 'shadow_champion_log_loss', 'shadow_challenger_log_loss']));
      // …and the fitted challenger's hyperparameters, named as `sextant train` logs them.
      expect(Object.fromEntries(mlflow.params.get('run1') ?? [])).toMatchObject({ validation_fraction: String(config.training.validationFraction), warm_start: 'true', learning_rate: expect.any(String) as unknown, hidden: expect.any(String) as unknown, batch_size: expect.any(String) as unknown });
      expect(mlflow.calls.find((c) => c.path === 'model-versions/create')?.body).toMatchObject({ name: 'dir', source: 'sextant-registry://dir/2', run_id: 'run1' });
      expect(mlflow.calls.find((c) => c.path === 'runs/update')?.body).toMatchObject({ run_id: 'run1', status: 'FINISHED' });
      // The rollback as a run of its own: from and to, the watched labels' mean log losses, the reason.
      const rollbackRun = mlflow.calls.find((c) => c.path === 'runs/create' && c.body?.['run_name'] === 'dir rollback 2');
      expect(rollbackRun?.body).toMatchObject({ tags: expect.arrayContaining([{ key: 'sextant.from', value: 'dir@2' }, { key: 'sextant.to', value: 'dir@1' }]) as unknown });
      const rollbackMetrics = mlflow.calls.filter((c) => c.body?.['run_id'] === 'run2').flatMap((c) => ((c.body?.['metrics'] ?? []) as { key: string; value: number }[]));
      const byKey = new Map(rollbackMetrics.map((m) => [m.key, m.value]));
      expect(byKey.get('watch_promoted_log_loss')).toBeGreaterThan((byKey.get('watch_previous_log_loss') ?? Number.POSITIVE_INFINITY) + 0.02);
      expect(byKey.get('watch_labels')).toBeGreaterThanOrEqual(50);
      expect(mlflow.calls.find((c) => c.path === 'runs/update' && c.body?.['run_id'] === 'run2')?.body).toMatchObject({ status: 'FINISHED' });
      expect(mlflow.calls.some((c) => c.body?.['run_id'] === 'run2' && JSON.stringify(c.body['tags'] ?? []).includes('rolled_back'))).toBe(true);
    } finally {
      server.unsubscribe();
      await actor.stop();
      await events.stop();
    }
  }, 240_000);
});
