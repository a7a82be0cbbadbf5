import { randomUUID } from 'node:crypto';
import { startRiskActor } from '../../actors/risk-actor.js';
import type { RiskActorHandle } from '../../actors/risk-actor.js';
import type { Supervisor } from '../../actors/supervisor.js';
import type { Decisions } from '../../cli/decisions.js';
import { engineControlTarget } from '../../cli/engine-control.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { ControlReplySchema } from '../../gateways/control/control-messages.js';
import type { ControlReply } from '../../gateways/control/control-messages.js';
import { startControlServer } from '../../gateways/control/control-server.js';
import type { AuditStore } from '../../state/audit-store.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { createCounters } from '../../state/counters.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createPgRiskStore } from '../../state/pg-risk-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import type { Bus, Requester } from '../../streams/bus.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import type { Subjects } from '../../streams/subjects.js';
import { baseLimits } from '../risk/risk-fixtures.js';
import { dropSchema } from '../support/pg.js';
import { startStallProxy } from '../support/pg-stall-proxy.js';
import type { StallProxy } from '../support/pg-stall-proxy.js';

// The control tests' world on a real PostgreSQL: the engine's risk actor and control server over a
// PostgreSQL risk store, asked as `sextant ctl` asks. Fails (never skips) when it is not reachable.

export const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const subjects = subjectsFor('sx');
/** `sextant ctl`'s default --timeout (cli/commands/ctl.ts) and the gateway's controlTimeoutMs default. */
export const CTL_TIMEOUT_MS = 5000;
export const ACCOUNT = 'acc';
/** A schema of the calling test file's own: `prefix_` and 12 random hex digits. */
export const testSchema = (prefix: string): string => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

const enc = new TextEncoder();
const dec = new TextDecoder();
const idleSupervisor: Supervisor = { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [], stop: async () => {} };

export type Asked = Readonly<{ reply: ControlReply; ms: number }>;

/** A control request as `sextant ctl` sends it (operator alice), within ctl's timeout: the reply and how long it took. 'engine not reached' (the request timing out) throws. */
export async function askControl(bus: Requester, verb: string, args: unknown, id: string = randomUUID(), on: Subjects = subjects): Promise<Asked> {
  const t0 = process.hrtime.bigint();
  const raw = await bus.request(on.control(verb), enc.encode(JSON.stringify({ v: 1, id, operator: 'alice', args })), CTL_TIMEOUT_MS);
  return { reply: ControlReplySchema.parse(JSON.parse(dec.decode(raw))), ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

export type ControlEngine = Readonly<{
  risk: RiskActorHandle;
  ask(verb: string, args: unknown): Promise<Asked>;
  /** The account's trading state in the store. */
  stored(): Promise<unknown>;
  /** Stops the risk actor and the control bus (the store is the caller's to close). */
  stop(): Promise<void>;
}>;

export type ControlEngineOptions = Readonly<{
  controlWriteTimeoutMs: number;
  /** A memory audit store if not given. */
  audit?: AuditStore | undefined;
  /** The engine's symbols and strategies (halt/resume scopes); BTC/USDT and dirmlp if not given. */
  known?: Readonly<{ symbols: string[]; strategies: string[] }> | undefined;
  /** One bus for the risk actor and the control server (the caller's to close; `stop` leaves it open); a memory bus for each if not given. */
  bus?: Bus | undefined;
  /** The subjects on it; `subjects` (prefix sx) if not given. */
  subjects?: Subjects | undefined;
}>;

/** The risk actor (ACCOUNT, baseLimits) and the control server over `store` as the engine wires them (cli/wiring.ts, cli/decisions.ts): an idle supervisor, no registry. */
export async function startControlEngine(store: RiskStore, o: ControlEngineOptions): Promise<ControlEngine> {
  const on = o.subjects ?? subjects;
  const risk = await startRiskActor(
    { bus: o.bus ?? createMemoryBus(), subjects: on, store, clock: createLiveClock(), log: silentLogger },
    { account: ACCOUNT, limits: baseLimits, consume: false, controlWriteTimeoutMs: o.controlWriteTimeoutMs },
  );
  const target = engineControlTarget({
    supervisor: idleSupervisor,
    counters: createCounters(),
    decisions: { risk } as unknown as Decisions,
    registry: undefined,
    known: o.known ?? { symbols: ['BTC/USDT'], strategies: ['dirmlp'] },
  });
  const bus = o.bus ?? createMemoryBus();
  startControlServer({ bus, subjects: on, target, audit: o.audit ?? createMemoryAuditStore(), clock: createLiveClock(), log: silentLogger });
  return {
    risk,
    ask: (verb, args) => askControl(bus, verb, args, randomUUID(), on),
    stored: async () => ((await store.load(ACCOUNT)).trading as { state?: unknown } | undefined)?.state,
    stop: async () => {
      await risk.stop();
      if (o.bus === undefined) await bus.close();
    },
  };
}

export type StallWorld = ControlEngine &
  Readonly<{
    schema: string;
    proxy: StallProxy;
    store: RiskStore;
    /** The configuration's defaults, which the store and the risk actor were given. */
    cfg: Config;
    /** Lets the proxy pass again and drops its connections, then stops the engine, closes the store and the proxy, and drops the schema. */
    close(): Promise<void>;
  }>;

/**
 * The engine's control world with its PostgreSQL risk store behind a proxy that plays the hung
 * server (test/support/pg-stall-proxy.ts), the configuration's default timeouts and bound.
 * `nameSessions`: the store's sessions carry the schema as application_name, so that a test can
 * end them from the server side (pg_terminate_backend).
 */
export async function startStallWorld(schema: string, o: Readonly<{ audit?: AuditStore; known?: ControlEngineOptions['known']; nameSessions?: boolean }> = {}): Promise<StallWorld> {
  const proxy = await startStallProxy(PG_URL);
  const cfg = loadConfig({ env: {} });
  const storeUrl = new URL(proxy.url);
  if (o.nameSessions === true) storeUrl.searchParams.set('application_name', schema);
  const store = await createPgRiskStore({
    url: o.nameSessions === true ? storeUrl.toString() : proxy.url,
    schema,
    timeouts: { statementTimeoutMs: cfg.postgres.statementTimeoutMs, queryTimeoutMs: cfg.postgres.queryTimeoutMs },
  });
  const engine = await startControlEngine(store, { controlWriteTimeoutMs: cfg.control.riskWriteTimeoutMs, audit: o.audit, known: o.known });
  return {
    ...engine,
    schema,
    proxy,
    store,
    cfg,
    close: async () => {
      proxy.resume();
      proxy.drop(); // a write still waiting (no bound) would hold the pool's close for ever
      await engine.stop();
      await store.close();
      await proxy.close();
      await dropSchema(PG_URL, schema);
    },
  };
}
