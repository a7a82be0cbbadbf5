-- Up Migration
-- A sample's label is known after its decision (labeled_ts, the vertical barrier, is horizon_bars
-- bars after decision_ts): a row labeled at or before its decision would pass a "labeled before t"
-- read as if known in time (look-ahead), and one without a horizon measures nothing. The stores
-- refuse such samples (state/sample-check.ts); these constraints refuse rows written by other means.
-- Rows already stored that break them are not deleted: they move, unchanged, to
-- training_samples_refused with the reason, where no training read finds them.
CREATE TABLE IF NOT EXISTS training_samples_refused (LIKE training_samples);
ALTER TABLE training_samples_refused ADD COLUMN IF NOT EXISTS reason text NOT NULL DEFAULT '';
WITH moved AS (
  DELETE FROM training_samples WHERE NOT (labeled_ts > decision_ts AND horizon_bars > 0) RETURNING *
)
INSERT INTO training_samples_refused
  SELECT moved.*, CASE WHEN moved.horizon_bars <= 0 THEN 'horizon_bars not above 0' ELSE 'labeled_ts not after decision_ts' END FROM moved;
ALTER TABLE training_samples ADD CONSTRAINT training_samples_labeled_after_decision CHECK (labeled_ts > decision_ts);
ALTER TABLE training_samples ADD CONSTRAINT training_samples_horizon_positive CHECK (horizon_bars > 0);

-- Down Migration
ALTER TABLE training_samples DROP CONSTRAINT IF EXISTS training_samples_horizon_positive;
ALTER TABLE training_samples DROP CONSTRAINT IF EXISTS training_samples_labeled_after_decision;
ALTER TABLE training_samples_refused DROP COLUMN IF EXISTS reason;
INSERT INTO training_samples SELECT * FROM training_samples_refused ON CONFLICT DO NOTHING;
DROP TABLE IF EXISTS training_samples_refused;
