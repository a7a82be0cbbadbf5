-- Up Migration
-- Risk actor, one row per account in each table: limits, trading state (with scoped halts) and
-- a snapshot of the book. Separate rows so an operator halt is written without the book.
CREATE TABLE risk_limits (
  account text PRIMARY KEY,
  limits jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE TABLE risk_trading (
  account text PRIMARY KEY,
  state text NOT NULL CHECK (state IN ('ACTIVE', 'REDUCING', 'HALTED')),
  trading jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE TABLE risk_book (
  account text PRIMARY KEY,
  book jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE risk_book;
DROP TABLE risk_trading;
DROP TABLE risk_limits;
