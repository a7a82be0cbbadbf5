-- Up Migration
-- The retraining actor reads a strategy's newest prediction samples labeled before a time
-- (ORDER BY decision_ts DESC, id DESC LIMIT training.maxSamples) and counts at most
-- training.minSamples of them. Neither the primary key (per asset) nor the decision_ts index (all
-- strategies) serves that: each read sorted the strategy's whole history. This index is walked
-- from the newest end; labeled_ts < t only drops the rows of the last horizon before t.
CREATE INDEX IF NOT EXISTS training_samples_newest_idx ON training_samples (strategy, kind, decision_ts, id);

-- Down Migration
DROP INDEX IF EXISTS training_samples_newest_idx;
