-- Up Migration
-- Model registry: versions (immutable once written), aliases (the mutable pointers such as
-- `production` or `candidate`) and the append-only history of every registry event. Artifacts
-- live as files under the registry's artifact directory; a row keeps their relative path and
-- sha256 so a read can prove the bytes are the ones registered.
CREATE TABLE IF NOT EXISTS model_versions (
  seq bigserial PRIMARY KEY,
  name text COLLATE "C" NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  format text NOT NULL CHECK (format IN ('onnx')),
  metrics jsonb NOT NULL,
  feature_spec jsonb NOT NULL,
  feature_spec_hash text NOT NULL,
  calibration jsonb NOT NULL,
  train_from timestamptz NOT NULL,
  train_to timestamptz NOT NULL,
  parent_version integer,
  config_hash text NOT NULL,
  artifact_sha256 text NOT NULL,
  artifact_path text NOT NULL,
  details jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (name, version),
  CHECK (train_from < train_to),
  CHECK (parent_version IS NULL OR parent_version < version)
);

CREATE TABLE IF NOT EXISTS model_aliases (
  name text COLLATE "C" NOT NULL,
  alias text COLLATE "C" NOT NULL,
  version integer NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (name, alias),
  FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
);

-- Append-only: one row per event (registered, promoted, rolled_back, rejected); `alias` is null
-- for events that move no alias. Rollback reads an alias's rows to find where it pointed before.
CREATE TABLE IF NOT EXISTS model_alias_history (
  seq bigserial PRIMARY KEY,
  name text COLLATE "C" NOT NULL,
  alias text COLLATE "C",
  version integer NOT NULL,
  previous_version integer,
  event text NOT NULL CHECK (event IN ('registered', 'promoted', 'rolled_back', 'rejected')),
  actor text NOT NULL,
  reason text NOT NULL,
  at timestamptz NOT NULL,
  FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
);
CREATE INDEX IF NOT EXISTS model_alias_history_alias_idx ON model_alias_history (name, alias, seq);

-- History rows whose event reached the bus. A row without one was committed but not published
-- (a crash or bus outage between the two) and is published again, with the same msgId, at start.
CREATE TABLE IF NOT EXISTS model_events_announced (
  seq bigint PRIMARY KEY REFERENCES model_alias_history (seq),
  at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE IF EXISTS model_events_announced;
DROP TABLE IF EXISTS model_alias_history;
DROP TABLE IF EXISTS model_aliases;
DROP TABLE IF EXISTS model_versions;
