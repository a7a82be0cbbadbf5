-- Up Migration
-- Labeled approved orders are training samples too, in the same table, told apart by `kind`.
-- An order has no single model (execution scheduled it, risk approved it): its model and
-- feature-spec columns are null, and `side` is the direction its label is measured along.
-- Rows stored before this migration are predictions.
ALTER TABLE training_samples ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'prediction' CHECK (kind IN ('prediction', 'order'));
ALTER TABLE training_samples ADD COLUMN IF NOT EXISTS side text CHECK (side IN ('buy', 'sell'));
ALTER TABLE training_samples ALTER COLUMN model_name DROP NOT NULL;
ALTER TABLE training_samples ALTER COLUMN model_version DROP NOT NULL;
ALTER TABLE training_samples ALTER COLUMN feature_spec_hash DROP NOT NULL;
ALTER TABLE training_samples ADD CONSTRAINT training_samples_kind_fields CHECK (
  (kind = 'prediction' AND model_name IS NOT NULL AND model_version IS NOT NULL AND feature_spec_hash IS NOT NULL AND side IS NULL)
  OR (kind = 'order' AND model_name IS NULL AND model_version IS NULL AND feature_spec_hash IS NULL AND side IS NOT NULL)
);

-- Down Migration
DELETE FROM training_samples WHERE kind = 'order';
ALTER TABLE training_samples DROP CONSTRAINT IF EXISTS training_samples_kind_fields;
ALTER TABLE training_samples ALTER COLUMN feature_spec_hash SET NOT NULL;
ALTER TABLE training_samples ALTER COLUMN model_version SET NOT NULL;
ALTER TABLE training_samples ALTER COLUMN model_name SET NOT NULL;
ALTER TABLE training_samples DROP COLUMN IF EXISTS side;
ALTER TABLE training_samples DROP COLUMN IF EXISTS kind;
