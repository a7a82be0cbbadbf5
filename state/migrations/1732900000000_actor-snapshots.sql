-- Up Migration
-- A durable copy of each actor's snapshot (the fast one is in Redis), replaced now and then: a
-- restarted actor whose Redis snapshot is gone resumes from here. `state` is the snapshot's exact
-- JSON as text (it keeps -0, which jsonb would not). `stream_seq` only grows: an older copy never
-- replaces a newer one.
CREATE TABLE IF NOT EXISTS actor_snapshots (
  actor text PRIMARY KEY,
  version integer NOT NULL,
  stream_seq bigint NOT NULL,
  -- Event time the snapshot covers (ms since epoch, -1 before any), not the wall clock.
  event_ms bigint NOT NULL,
  state text NOT NULL
);

-- Down Migration
DROP TABLE IF EXISTS actor_snapshots;
