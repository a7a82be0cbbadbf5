import type { Clock } from '../../state/clock.js';
import type { DurablePublisher } from '../../streams/bus.js';
import type { ModelEvent, ModelEventKind } from '../../streams/messages/model-event.js';
import type { Subjects } from '../../streams/subjects.js';
import { removableAliases, removedByPromotion, requireCurrent, requireRemovable, rollbackTarget } from './alias-history.js';
import { sha256Hex } from './artifact-files.js';
import { FeatureSpecSchema, featureSpecHash } from './feature-spec.js';
import { announce, modelEventOf } from './model-event-of.js';
import type { HistoryEntry } from './model-event-of.js';
import type { ModelRegistry, ModelVersion } from './model-registry.js';
import { ModelNotFoundError, parseModelRef, RegistryError } from './model-registry.js';
import { ModelNameSchema, parseNewModelVersion } from './new-model-version.js';
import { parseAction, parseVersionNumber } from './registry-action.js';
import { AnnouncementPendingError, ArtifactIntegrityError, ModelRejectedError, NoRollbackTargetError } from './registry-errors.js';

export type MemoryModelRegistryOptions = Readonly<{
  bus: DurablePublisher;
  subjects: Pick<Subjects, 'model'>;
  clock: Pick<Clock, 'now'>;
}>;

type Stored = { seq: number; version: Omit<ModelVersion, 'aliases'>; artifact: Uint8Array };

/** Stored values are copied through JSON, as PostgreSQL's jsonb keeps them: no shared references. */
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * The model registry in process, for backtests and the embedded demo: the semantics of the
 * PostgreSQL adapter (consecutive versions, alias history, rollback stack, refusals, events with
 * the same ids), with artifact bytes kept in memory and checked against their sha256 on read.
 * Each change is synchronous up to its announcement, so concurrent calls cannot interleave.
 */
export function createMemoryModelRegistry(opts: MemoryModelRegistryOptions): ModelRegistry {
  const versions = new Map<string, Stored[]>();
  const all: Stored[] = [];
  const aliases = new Map<string, Map<string, number>>();
  const history: HistoryEntry[] = [];
  const pending: HistoryEntry[] = [];
  let closed = false;

  const open = (): void => {
    if (closed) throw new RegistryError('model registry is closed');
  };
  const checkName = (name: string): void => {
    if (!ModelNameSchema.safeParse(name).success) throw new RegistryError(`bad model name ${JSON.stringify(name)}`);
  };
  const aliasMap = (name: string): Map<string, number> => {
    let m = aliases.get(name);
    if (m === undefined) aliases.set(name, (m = new Map()));
    return m;
  };
  const view = (s: Stored): ModelVersion => {
    const v = copy(s.version);
    const featureSpec = FeatureSpecSchema.parse(v.featureSpec);
    const names = [...(aliases.get(v.name) ?? new Map<string, number>())].filter(([, n]) => n === v.version).map(([a]) => a).sort();
    return { ...v, featureSpec, aliases: names };
  };
  const find = (name: string, version: number): Stored => {
    const s = versions.get(name)?.[version - 1];
    if (s === undefined) throw new ModelNotFoundError(`model ${name}@${version} not found`);
    return s;
  };
  const isRejected = (name: string, version: number): boolean => history.some((h) => h.name === name && h.version === version && h.event === 'rejected');
  const requireLive = (name: string, version: number, Err: typeof RegistryError = ModelRejectedError): void => {
    find(name, version);
    if (isRejected(name, version)) throw new Err(`model ${name}@${version} was rejected`);
  };
  const record = (kind: ModelEventKind, name: string, version: number, alias: string | null, previousVersion: number | null, actor: string, reason: string, at = opts.clock.now()): HistoryEntry => {
    const h: HistoryEntry = { seq: history.length + 1, name, alias, version, previousVersion, event: kind, actor, reason, at };
    history.push(h);
    pending.push(h);
    return h;
  };
  /** Publishes what is pending, oldest first; what fails stays pending for the next change. */
  const announced = async (h: HistoryEntry): Promise<ModelEvent> => {
    const event = modelEventOf(h);
    try {
      while (pending.length > 0) {
        const next = pending[0];
        if (next === undefined) break;
        await announce(opts.bus, opts.subjects, modelEventOf(next));
        if (pending[0] === next) pending.shift();
      }
    } catch (e) {
      throw new AnnouncementPendingError(event, e);
    }
    return event;
  };

  return {
    register: async (model, artifact, ropts) => {
      open();
      const m = parseNewModelVersion(model);
      const who = parseAction({ actor: ropts?.actor ?? 'registry', reason: ropts?.reason ?? '' });
      if (artifact.byteLength === 0) throw new RegistryError(`artifact of ${m.name} is empty`);
      const list = versions.get(m.name) ?? [];
      const version = list.length + 1;
      if (m.parentVersion !== null && m.parentVersion >= version) throw new RegistryError(`parent version ${m.name}@${m.parentVersion} does not exist`);
      const createdAt = opts.clock.now();
      const stored: Stored = {
        seq: all.length + 1,
        version: copy({ ...m, version, featureSpecHash: featureSpecHash(m.featureSpec), artifactSha256: sha256Hex(artifact), createdAt }),
        artifact: artifact.slice(),
      };
      list.push(stored);
      versions.set(m.name, list);
      all.push(stored);
      const h = record('registered', m.name, version, null, null, who.actor, who.reason, createdAt);
      await announced(h);
      return view(stored);
    },

    get: async (ref) => {
      const r = parseModelRef(ref);
      if ('version' in r) return view(find(r.name, r.version));
      const n = aliases.get(r.name)?.get(r.alias);
      if (n === undefined) throw new ModelNotFoundError(`model ${r.name}@${r.alias} not found`);
      return view(find(r.name, n));
    },

    artifact: async ({ name, version }) => {
      const s = find(name, version);
      const actual = sha256Hex(s.artifact);
      if (actual !== s.version.artifactSha256) throw new ArtifactIntegrityError(`artifact of ${name}@${version} has sha256 ${actual}, registered ${s.version.artifactSha256}`);
      return s.artifact.slice();
    },

    list: async (name) => {
      if (name !== undefined) checkName(name);
      const picked = name === undefined ? all : (versions.get(name) ?? []);
      return [...picked].sort((a, b) => b.seq - a.seq).map((st) => ({ ...view(st), rejected: isRejected(st.version.name, st.version.version) }));
    },

    promote: async (name, version, popts) => {
      open();
      const a = parseAction(popts);
      parseVersionNumber(version);
      checkName(name);
      const removed = removableAliases(name, a.alias, popts.removeAliases);
      requireLive(name, version);
      const m = aliasMap(name);
      const current = m.get(a.alias);
      requireCurrent({ name, alias: a.alias, current, ifCurrent: popts.ifCurrent });
      if (current === version) throw new RegistryError(`${name}@${a.alias} already points at version ${version}`);
      m.set(a.alias, version);
      const h = record('promoted', name, version, a.alias, current ?? null, a.actor, a.reason);
      // Synchronous with the promotion (as PostgreSQL's one transaction): nothing can run between.
      for (const alias of removed) {
        if (m.get(alias) !== version) continue;
        m.delete(alias);
        record('alias_removed', name, version, alias, null, a.actor, removedByPromotion(a.alias, a.reason), h.at);
      }
      return announced(h);
    },

    rollback: async (name, ropts) => {
      open();
      const a = parseAction(ropts);
      checkName(name);
      const current = aliases.get(name)?.get(a.alias);
      if (current === undefined && (versions.get(name) ?? []).length === 0) throw new ModelNotFoundError(`model ${name} not found`);
      requireCurrent({ name, alias: a.alias, current, ifCurrent: ropts.ifCurrent });
      if (current === undefined) throw new NoRollbackTargetError(`${name}@${a.alias} is not set`);
      const target = rollbackTarget(history.filter((h) => h.name === name && h.alias === a.alias), { name, alias: a.alias, current, ...(ropts.to !== undefined ? { to: ropts.to } : {}) });
      requireLive(name, target, NoRollbackTargetError);
      aliasMap(name).set(a.alias, target);
      return announced(record('rolled_back', name, target, a.alias, current, a.actor, a.reason));
    },

    reject: async (name, version, jopts) => {
      open();
      const a = parseAction(jopts);
      parseVersionNumber(version);
      checkName(name);
      requireLive(name, version);
      const m = aliasMap(name);
      if (m.get('production') === version) throw new RegistryError(`${name}@${version} is production: promote another version or roll back before rejecting it`);
      for (const [alias, n] of [...m]) if (n === version) m.delete(alias);
      return announced(record('rejected', name, version, null, null, a.actor, a.reason));
    },

    removeAlias: async (name, alias, xopts) => {
      open();
      const a = parseAction({ ...xopts, alias });
      checkName(name);
      requireRemovable(name, a.alias);
      const current = aliases.get(name)?.get(a.alias);
      requireCurrent({ name, alias: a.alias, current, ifCurrent: xopts.ifCurrent });
      if (current === undefined) throw new ModelNotFoundError(`model ${name}@${a.alias} not found`);
      aliasMap(name).delete(a.alias);
      return announced(record('alias_removed', name, current, a.alias, null, a.actor, a.reason));
    },

    aliasEvents: async () => {
      open();
      const set: HistoryEntry[] = [];
      for (const [name, m] of aliases) {
        for (const [alias, version] of m) {
          const h = history.findLast((x) => x.name === name && x.alias === alias && x.version === version && (x.event === 'promoted' || x.event === 'rolled_back'));
          if (h !== undefined) set.push(h);
        }
      }
      return set.sort((a, b) => a.seq - b.seq).map(modelEventOf);
    },

    close: async () => {
      closed = true;
    },
  };
}
