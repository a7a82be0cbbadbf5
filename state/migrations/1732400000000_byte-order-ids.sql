-- Up Migration
-- Ids compare byte by byte, whatever the database's locale: rows that share a timestamp come
-- back in the same order on every machine (and as the in-memory store orders them), and the
-- primary-key index still serves `ORDER BY ts, id` without a sort.
ALTER TABLE bars ALTER COLUMN id TYPE text COLLATE "C";
ALTER TABLE trades ALTER COLUMN id TYPE text COLLATE "C";
ALTER TABLE quotes ALTER COLUMN id TYPE text COLLATE "C";
ALTER TABLE features ALTER COLUMN id TYPE text COLLATE "C";

-- Down Migration
ALTER TABLE features ALTER COLUMN id TYPE text COLLATE "default";
ALTER TABLE quotes ALTER COLUMN id TYPE text COLLATE "default";
ALTER TABLE trades ALTER COLUMN id TYPE text COLLATE "default";
ALTER TABLE bars ALTER COLUMN id TYPE text COLLATE "default";
