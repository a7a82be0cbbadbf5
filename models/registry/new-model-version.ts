import { z } from 'zod';
import { finite } from '../../streams/messages/common.js';
import { FeatureSpecSchema } from './feature-spec.js';
import type { ModelCalibration, NewModelVersion } from './model-registry.js';
import { RegistryError } from './model-registry.js';

/** Model names and aliases are one subject token each (`sx.model.<name>.<event>`) and a file name. */
export const MODEL_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const ModelNameSchema = z.string().regex(MODEL_NAME_RE, 'a model name is 1–64 of A-Z a-z 0-9 _ -');
/** `name@3` is version 3, so an alias spelled as a number (`3`, `-1`) could never be resolved by its ref. */
export const AliasSchema = z
  .string()
  .regex(MODEL_NAME_RE, 'an alias is 1–64 of A-Z a-z 0-9 _ -')
  .refine((a) => !/^-?\d+$/.test(a), { message: 'an alias is not a number (name@3 is version 3)' });

export const ModelCalibrationSchema = z
  .object({
    classMeanReturns: z.tuple([finite, finite, finite]),
    conformal80: finite.refine((n) => n >= 0, { message: 'must be >= 0' }),
    conformal95: finite.refine((n) => n >= 0, { message: 'must be >= 0' }),
    horizonMs: z.number().int().positive(),
    conformalScale: z.literal('atr_14/close').optional(),
  })
  .readonly();

/** Plain JSON (what jsonb keeps): a value that does not survive JSON is refused, not silently changed. */
const jsonRecord = z.record(z.string(), z.unknown()).refine(
  (r) => {
    try {
      return JSON.stringify(JSON.parse(JSON.stringify(r))) === JSON.stringify(r);
    } catch {
      return false;
    }
  },
  { message: 'details must be plain JSON' },
);

const TrainRangeSchema = z
  .object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() })
  .readonly()
  .refine((r) => r.from < r.to, { message: 'trainRange.from must be before trainRange.to' });

/** What `register` accepts; the registry adds version, aliases, hashes and creation time. */
export const NewModelVersionSchema = z
  .object({
    name: ModelNameSchema,
    format: z.literal('onnx'),
    metrics: z.record(z.string().min(1), finite),
    featureSpec: FeatureSpecSchema,
    calibration: ModelCalibrationSchema,
    trainRange: TrainRangeSchema,
    parentVersion: z.number().int().positive().nullable(),
    configHash: z.string().min(1).max(128),
    details: jsonRecord,
  });

/** Validates a registration; throws a RegistryError naming every bad field. */
export function parseNewModelVersion(model: NewModelVersion): NewModelVersion {
  const r = NewModelVersionSchema.safeParse(model);
  if (!r.success) throw new RegistryError(`invalid model version: ${z.prettifyError(r.error)}`);
  return r.data;
}

/** Narrows stored calibration JSON back to its type (a row written by an older build may not fit). */
export function parseCalibration(raw: unknown, where: string): ModelCalibration {
  const r = ModelCalibrationSchema.safeParse(raw);
  if (!r.success) throw new RegistryError(`stored calibration of ${where} is invalid: ${z.prettifyError(r.error)}`);
  return r.data;
}
