import type { ModelEvent } from '../../streams/messages/model-event.js';
import type { FeatureSpec } from './feature-spec.js';

/**
 * The `ModelRegistry` port: versions of named models, their artifacts and aliases. The
 * PostgreSQL adapter keeps versions, aliases and alias history in tables and artifacts as files
 * under an artifact directory; the memory adapter serves backtests and the embedded demo.
 * Promotion, rollback and an alias's removal are single transactions, announced on
 * `sx.model.<name>.<event>`.
 */

/** How a classifier's outputs become an expected return with intervals (from held-out data). */
export type ModelCalibration = Readonly<{
  /** Mean forward log return of each class (down, flat, up) in the training set. */
  classMeanReturns: readonly [number, number, number];
  /**
   * Split-conformal quantiles of |realised − expected| return on the calibration set; with
   * `conformalScale`, of that divided by the row's scale, and an interval is expected ± q · scale.
   */
  conformal80: number;
  conformal95: number;
  /**
   * `atr_14/close`: the scores were normalised by the decision-time ATR14 over the close (locally
   * weighted conformal), so intervals are wider when the market is wilder and the width check on
   * predictions tells calm from wild ones. Absent (older models): one width for every prediction.
   */
  conformalScale?: 'atr_14/close';
  /** Horizon the labels and returns were measured over. */
  horizonMs: number;
}>;

export type ModelVersion = Readonly<{
  name: string;
  version: number;
  format: 'onnx';
  /** Aliases pointing at this version now (`production`, `candidate`, …). */
  aliases: readonly string[];
  metrics: Readonly<Record<string, number>>;
  featureSpec: FeatureSpec;
  featureSpecHash: string;
  calibration: ModelCalibration;
  /** Event-time range of the training data (ms since epoch, `to` exclusive). */
  trainRange: Readonly<{ from: number; to: number }>;
  parentVersion: number | null;
  configHash: string;
  /** sha256 of the artifact bytes. */
  artifactSha256: string;
  /** Free-form lineage and training details (dataset, splits, hyper-parameters). */
  details: Readonly<Record<string, unknown>>;
  createdAt: number;
}>;

/**
 * A version as `list` gives it: with whether it was rejected (a retraining challenger, or a
 * version refused by hand). A rejected version keeps its number and artifact but can no longer be
 * promoted or rolled back to, so whoever picks a version from a list must see it.
 */
export type ListedModelVersion = ModelVersion & Readonly<{ rejected: boolean }>;

export type NewModelVersion = Omit<ModelVersion, 'version' | 'aliases' | 'featureSpecHash' | 'artifactSha256' | 'createdAt'>;

/** `name@3` (a version) or `name@production` (an alias); a bare `name` means `name@production`. */
export type ModelRef = string;

export type ModelRegistry = {
  /**
   * Stores the artifact and a new version (number = previous max + 1); announces `registered`
   * (by `opts.actor`, default `registry`).
   */
  register(model: NewModelVersion, artifact: Uint8Array, opts?: Readonly<{ actor?: string; reason?: string }>): Promise<ModelVersion>;
  /** Resolves a ref; rejects with `ModelNotFoundError` when nothing matches. */
  get(ref: ModelRef): Promise<ModelVersion>;
  /** The artifact bytes, checked against the stored sha256. */
  artifact(model: Pick<ModelVersion, 'name' | 'version'>): Promise<Uint8Array>;
  /** Versions, newest first, each saying whether it was rejected; all models when `name` is omitted. */
  list(name?: string): Promise<readonly ListedModelVersion[]>;
  /**
   * Points `alias` (default `production`) at `version` in one transaction; announces `promoted`.
   * With `ifCurrent`: only while the alias still points at that version (`AliasMovedError`
   * otherwise, nothing written), so a change decided on what the alias held cannot undo another
   * writer's change made meanwhile. A rejected version is refused with `ModelRejectedError` (it
   * exists: not `ModelNotFoundError`, which is for a version that does not).
   * With `removeAliases`: each of those aliases that points at `version` is removed in the same
   * transaction (one `alias_removed` each, its reason `promoted to <alias>: <reason>`, announced
   * after the `promoted` event once committed); one that points elsewhere or is unset is left as it is. The retraining actor promotes its
   * challenger with `['candidate']`: in two transactions, a crash between them left `candidate`
   * on the version now production until the next start. `production` and the promoted alias
   * itself cannot be named (`RegistryError`). The promise gives the `promoted` event.
   */
  promote(name: string, version: number, opts: Readonly<{ alias?: string; actor: string; reason: string; ifCurrent?: number; removeAliases?: readonly string[] }>): Promise<ModelEvent>;
  /**
   * Points `alias` back at the version it held before the current one; announces `rolled_back`.
   * With `to`: back to that earlier version, several steps at once, in one transaction and one
   * event (`NoRollbackTargetError` when the alias's history of earlier versions does not hold it).
   * With `ifCurrent`: only while the alias still points at that version (`AliasMovedError`).
   * `ModelNotFoundError` when the registry holds no version of `name`.
   */
  rollback(name: string, opts: Readonly<{ alias?: string; actor: string; reason: string; to?: number; ifCurrent?: number }>): Promise<ModelEvent>;
  /**
   * Records that a candidate was refused (not promoted); announces `rejected`. Aliases other than
   * `production` that point at it are removed in the same transaction; a rejected version can no
   * longer be promoted or rolled back to. Refused while `production` points at it.
   */
  reject(name: string, version: number, opts: Readonly<{ actor: string; reason: string }>): Promise<ModelEvent>;
  /**
   * Removes `alias` (it points at nothing afterwards) in one transaction; announces
   * `alias_removed`, whose `version` is the version it pointed at. The version itself is left as
   * it is (not rejected: it can still be promoted). `production` is refused (`RegistryError`:
   * promote another version or roll back), `ModelNotFoundError` when the alias is not set. With
   * `ifCurrent`: only while the alias still points at that version (`AliasMovedError`, also when
   * it is not set), so a removal decided on what the alias held cannot undo another writer's move.
   * The retraining actor removes `candidate` when its cycle ends (retraining-candidate.ts).
   */
  removeAlias(name: string, alias: string, opts: Readonly<{ actor: string; reason: string; ifCurrent?: number }>): Promise<ModelEvent>;
  /**
   * What each alias the registry holds now was set by: the newest `promoted` or `rolled_back`
   * event of its history that points it at its current version, in history order (an alias
   * removed, by `removeAlias` or a reject, has none). The same event,
   * id included, that was announced for it; nothing is published. A reader whose copy of the
   * announcements was lost (the `OUTCOMES` stream purged or rebuilt, as `sextant demo` does at each
   * run) learns from it what each alias serves: the websocket gateway seeds its `models` snapshot so.
   */
  aliasEvents(): Promise<readonly ModelEvent[]>;
  close(): Promise<void>;
};

/** A request the registry refuses (bad input, a state that forbids it); retrying it cannot help. */
export class RegistryError extends Error {
  override readonly name: string = 'RegistryError';
}

/** No version matches the ref (unknown name, version or alias). */
export class ModelNotFoundError extends RegistryError {
  override readonly name = 'ModelNotFoundError';
}

/** The largest version number (the registry's PostgreSQL column is an `integer`). */
export const MAX_MODEL_VERSION = 2_147_483_647;
export const VERSION_RULE = `a version is a positive integer up to ${MAX_MODEL_VERSION}`;

/**
 * Parses a ref into name and version or alias. A tail that reads as a number is a version, and
 * one that cannot be (`name@0`, `name@-1`, past {@link MAX_MODEL_VERSION}) is refused as such:
 * `name@-1` was looked up as an alias named `-1` and `name@0` as version 0, both answered "not
 * found", and a version past the column's range failed in PostgreSQL as a database error.
 */
export function parseModelRef(ref: ModelRef): Readonly<{ name: string; version: number } | { name: string; alias: string }> {
  const at = ref.indexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const tail = at < 0 ? 'production' : ref.slice(at + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new RegistryError(`bad model name in ${JSON.stringify(ref)}`);
  if (/^-?\d+$/.test(tail)) {
    const version = Number(tail);
    if (!Number.isSafeInteger(version) || version <= 0 || version > MAX_MODEL_VERSION) throw new RegistryError(`bad version in ${JSON.stringify(ref)}: ${VERSION_RULE}`);
    return { name, version };
  }
  if (!/^[A-Za-z0-9_-]+$/.test(tail)) throw new RegistryError(`bad version or alias in ${JSON.stringify(ref)}`);
  return { name, alias: tail };
}
