-- Up Migration
-- Labeled training samples: one row per labeled prediction with its decision-time feature
-- vector. The unique key includes time (hypertable-ready; upserts are idempotent). The time
-- columns are named for what they hold (decision_ts, labeled_ts) rather than `ts`.
CREATE TABLE IF NOT EXISTS training_samples (
  strategy text NOT NULL,
  venue text NOT NULL,
  symbol text NOT NULL,
  decision_ts timestamptz NOT NULL,
  id text COLLATE "C" NOT NULL,
  labeled_ts timestamptz NOT NULL,
  model_name text NOT NULL,
  model_version integer NOT NULL,
  feature_spec_hash text NOT NULL,
  feature_id text NOT NULL,
  features jsonb NOT NULL,
  label smallint NOT NULL CHECK (label IN (-1, 0, 1)),
  barrier text NOT NULL CHECK (barrier IN ('take_profit', 'stop_loss', 'vertical')),
  outcome_class text NOT NULL CHECK (outcome_class IN ('excellent', 'good', 'neutral', 'poor', 'bad')),
  forward_return double precision NOT NULL,
  net_return_bps double precision NOT NULL,
  horizon_bars integer NOT NULL,
  PRIMARY KEY (strategy, venue, symbol, decision_ts, id)
);
CREATE INDEX IF NOT EXISTS training_samples_decision_ts_idx ON training_samples (decision_ts);

-- The labeling actor's pending horizons, one snapshot row per actor, replaced in the same
-- transaction as the samples it produced.
CREATE TABLE IF NOT EXISTS labeling_snapshots (
  actor text PRIMARY KEY,
  state jsonb NOT NULL,
  -- Event time of the commit (newest bar seen), not the wall clock.
  event_ts timestamptz NOT NULL
);

-- Down Migration
DROP TABLE IF EXISTS labeling_snapshots;
DROP TABLE IF EXISTS training_samples;
