-- Up Migration
-- Market history and features. Every unique key includes time (required for hypertables, and it
-- makes inserts idempotent: a redelivered batch stores nothing twice).
CREATE TABLE IF NOT EXISTS bars (
  venue text NOT NULL,
  symbol text NOT NULL,
  tf text NOT NULL,
  ts timestamptz NOT NULL,
  id text NOT NULL,
  open double precision NOT NULL,
  high double precision NOT NULL,
  low double precision NOT NULL,
  close double precision NOT NULL,
  volume double precision NOT NULL,
  PRIMARY KEY (venue, symbol, tf, ts)
);
CREATE INDEX IF NOT EXISTS bars_ts_idx ON bars (ts);

CREATE TABLE IF NOT EXISTS trades (
  venue text NOT NULL,
  symbol text NOT NULL,
  ts timestamptz NOT NULL,
  id text NOT NULL,
  price double precision NOT NULL,
  qty double precision NOT NULL,
  side text NOT NULL,
  PRIMARY KEY (venue, symbol, ts, id)
);
CREATE INDEX IF NOT EXISTS trades_ts_idx ON trades (ts);

CREATE TABLE IF NOT EXISTS quotes (
  venue text NOT NULL,
  symbol text NOT NULL,
  ts timestamptz NOT NULL,
  id text NOT NULL,
  bid double precision NOT NULL,
  bid_size double precision NOT NULL,
  ask double precision NOT NULL,
  ask_size double precision NOT NULL,
  PRIMARY KEY (venue, symbol, ts, id)
);
CREATE INDEX IF NOT EXISTS quotes_ts_idx ON quotes (ts);

CREATE TABLE IF NOT EXISTS features (
  venue text NOT NULL,
  symbol text NOT NULL,
  ts timestamptz NOT NULL,
  id text NOT NULL,
  source text NOT NULL,
  "values" jsonb NOT NULL,
  PRIMARY KEY (venue, symbol, ts, id)
);
CREATE INDEX IF NOT EXISTS features_ts_idx ON features (ts);

-- Down Migration
DROP TABLE IF EXISTS features;
DROP TABLE IF EXISTS quotes;
DROP TABLE IF EXISTS trades;
DROP TABLE IF EXISTS bars;
