import { z } from 'zod';
import { finite } from '../../streams/messages/common.js';
import type { ModelEventKind } from '../../streams/messages/model-event.js';
import { FeatureSpecSchema, featureSpecHash } from './feature-spec.js';
import type { HistoryEntry } from './model-event-of.js';
import type { ModelVersion } from './model-registry.js';
import { RegistryError } from './model-registry.js';
import { parseCalibration } from './new-model-version.js';

/** Milliseconds since the epoch of a timestamptz column, exact (numeric `extract`, then rounded). */
const ms = (col: string): string => `round(extract(epoch FROM ${col}) * 1000)::bigint::text`;
/** A JS millisecond time as a timestamptz parameter. */
export const tsParam = (n: number): string => `to_timestamp($${n}::double precision / 1000)`;

export const versionColumns = (s: string): string => `v.seq, v.name, v.version, v.format, v.metrics, v.feature_spec, v.feature_spec_hash, v.calibration,
  ${ms('v.train_from')} AS train_from, ${ms('v.train_to')} AS train_to, v.parent_version, v.config_hash, v.artifact_sha256,
  v.artifact_path, v.details, ${ms('v.created_at')} AS created_at,
  COALESCE((SELECT array_agg(a.alias ORDER BY a.alias) FROM ${s}.model_aliases a WHERE a.name = v.name AND a.version = v.version), '{}') AS aliases`;

/** Whether the version of row `v` was rejected: its history holds a `rejected` event. */
export const rejectedColumn = (s: string): string =>
  `EXISTS (SELECT 1 FROM ${s}.model_alias_history h WHERE h.name = v.name AND h.version = v.version AND h.event = 'rejected') AS rejected`;

export type VersionRow = {
  name: string; version: number; format: string; metrics: unknown; feature_spec: unknown; feature_spec_hash: string;
  calibration: unknown; train_from: string; train_to: string; parent_version: number | null; config_hash: string;
  artifact_sha256: string; artifact_path: string; details: unknown; created_at: string; aliases: string[];
};

const MetricsSchema = z.record(z.string(), finite);
const DetailsSchema = z.record(z.string(), z.unknown());

/**
 * A stored version back into the port's shape. The feature spec is validated again and its hash
 * recomputed: a row edited by hand or written by an older build fails here, not inside inference.
 */
export function versionOfRow(r: VersionRow): ModelVersion {
  const where = `${r.name}@${r.version}`;
  const spec = FeatureSpecSchema.safeParse(r.feature_spec);
  if (!spec.success) throw new RegistryError(`stored feature spec of ${where} is invalid: ${z.prettifyError(spec.error)}`);
  const hash = featureSpecHash(spec.data);
  if (hash !== r.feature_spec_hash) throw new RegistryError(`stored feature spec of ${where} hashes to ${hash}, recorded ${r.feature_spec_hash}`);
  const metrics = MetricsSchema.safeParse(r.metrics);
  const details = DetailsSchema.safeParse(r.details);
  if (!metrics.success || !details.success || r.format !== 'onnx') throw new RegistryError(`stored metrics, details or format of ${where} are invalid`);
  return {
    name: r.name,
    version: r.version,
    format: 'onnx',
    aliases: r.aliases,
    metrics: metrics.data,
    featureSpec: spec.data,
    featureSpecHash: hash,
    calibration: parseCalibration(r.calibration, where),
    trainRange: { from: Number(r.train_from), to: Number(r.train_to) },
    parentVersion: r.parent_version,
    configHash: r.config_hash,
    artifactSha256: r.artifact_sha256,
    details: details.data,
    createdAt: Number(r.created_at),
  };
}

export const historyColumns = `h.seq::text AS seq, h.name, h.alias, h.version, h.previous_version, h.event, h.actor, h.reason, ${ms('h.at')} AS at`;

export type HistoryRow = {
  seq: string; name: string; alias: string | null; version: number; previous_version: number | null;
  event: ModelEventKind; actor: string; reason: string; at: string;
};

export const historyOfRow = (r: HistoryRow): HistoryEntry => ({
  seq: Number(r.seq), name: r.name, alias: r.alias, version: r.version, previousVersion: r.previous_version,
  event: r.event, actor: r.actor, reason: r.reason, at: Number(r.at),
});
