-- Up Migration
-- An alias can be removed (`ModelRegistry.removeAlias`: a retraining cycle's `candidate` once the
-- cycle ended): its history row is an `alias_removed` event naming the version it pointed at.
ALTER TABLE model_alias_history DROP CONSTRAINT IF EXISTS model_alias_history_event_check;
ALTER TABLE model_alias_history ADD CONSTRAINT model_alias_history_event_check
  CHECK (event IN ('registered', 'promoted', 'rolled_back', 'rejected', 'alias_removed'));

-- Down Migration
-- Refused while a removal is recorded: its row would break the older check.
ALTER TABLE model_alias_history DROP CONSTRAINT IF EXISTS model_alias_history_event_check;
ALTER TABLE model_alias_history ADD CONSTRAINT model_alias_history_event_check
  CHECK (event IN ('registered', 'promoted', 'rolled_back', 'rejected'));
