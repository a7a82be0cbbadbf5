import { z } from 'zod';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const SplitInfo = z
  .object({
    rows: z.number().int().min(0),
    /** First event time (ISO, UTC); null for an empty split. */
    from: z.string().nullable(),
    /** Last event time. */
    to: z.string().nullable(),
    /** When the last label became known. */
    labelsKnownBy: z.string().nullable(),
    contentHash: Sha256,
    files: z.object({ parquet: z.string(), arrow: z.string() }).strict(),
  })
  .strict();

/** metadata.json of a dataset version: what it holds, how it was cut, and how to check it. */
export const DatasetMetadataSchema = z
  .object({
    format: z.literal('sextant-dataset'),
    formatVersion: z.literal(1),
    name: z.string().min(1),
    version: z.number().int().positive(),
    rows: z.number().int().min(0),
    /** sha256 over every row in canonical order (see models/datasets/content-hash.ts). */
    contentHash: Sha256,
    /** sha256 of the canonical JSON of the source description, label spec, features and split options. */
    configHash: Sha256,
    source: z.record(z.string(), z.unknown()),
    /** Only when the caller passes one: the export itself reads no clock. */
    createdAt: z.string().optional(),
    columns: z.array(z.object({ name: z.string(), type: z.string() }).strict()),
    /** Per-feature normalisation from the training split, as models/registry/feature-spec.ts. */
    featureSpec: z
      .object({
        version: z.literal(1),
        features: z.array(z.string()),
        mean: z.array(z.number()),
        std: z.array(z.number()),
        transforms: z.array(z.enum(['raw', 'rel_price'])),
        hash: z.string(),
        fittedOn: z.literal('train'),
      })
      .strict(),
    labelSpec: z
      .object({ column: z.literal('label'), classes: z.array(z.string()), rule: z.string(), params: z.record(z.string(), z.union([z.number(), z.string()])) })
      .strict(),
    split: z
      .object({
        trainFraction: z.number(),
        validationFraction: z.number(),
        embargoMs: z.number(),
        purge: z.string(),
        embargo: z.string(),
        boundaries: z.object({ validation: z.string(), test: z.string() }).strict(),
        dropped: z.object({ purged: z.number().int(), embargoed: z.number().int() }).strict(),
      })
      .strict(),
    splits: z.object({ train: SplitInfo, validation: SplitInfo, test: SplitInfo }).strict(),
    qualityReport: z.object({ json: z.string(), markdown: z.string() }).strict(),
  })
  .strict();
export type DatasetMetadata = z.infer<typeof DatasetMetadataSchema>;
