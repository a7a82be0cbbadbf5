-- Up Migration
-- Operator control audit: one row per control request, written before the reply is sent.
CREATE TABLE control_audit (
  seq bigserial PRIMARY KEY,
  request_id text NOT NULL,
  operator text NOT NULL,
  verb text NOT NULL,
  args jsonb NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('ok', 'error')),
  detail jsonb NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX control_audit_at ON control_audit (at DESC);

-- Down Migration
DROP TABLE control_audit;
