-- The bytes of files (customers' photos, owners' PDFs) for replicas that
-- share one database, where a folder on one host's disk would leave the
-- other replicas without them (blob.go).
--
-- A Put writes its bytes as a blob_data row and its chunks, each chunk in a
-- transaction of its own so that a slow download holds no connection
-- between chunks; then one short transaction points the key at them.
-- blob_data that no key points at is a Put under way, or one that failed
-- or crashed: Prune removes it once it is older than its grace.
CREATE TABLE blob_data (
	id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	started_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Chunks of at most 256 KiB, numbered from 0, so that neither a Put nor a
-- reader holds a whole file in memory.
CREATE TABLE blob_chunks (
	data_id bigint  NOT NULL REFERENCES blob_data ON DELETE CASCADE,
	n       integer NOT NULL,
	bytes   bytea   NOT NULL,
	PRIMARY KEY (data_id, n)
);
-- Out of line, uncompressed: photos, voice and PDFs come compressed
-- already, and trying again costs the server for nothing.
ALTER TABLE blob_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- The bytes each key has now. Replacing a key is pointing it at other
-- bytes, in one statement: a reader sees the old bytes or the new ones.
-- created_at is when the key got them (clock_timestamp, not the
-- transaction's start), which Prune's grace counts from.
CREATE TABLE blobs (
	key        text        PRIMARY KEY,
	data_id    bigint      NOT NULL UNIQUE REFERENCES blob_data,
	size       bigint      NOT NULL,
	created_at timestamptz NOT NULL
);

-- The bytes a key lets go of (replaced, or the key deleted) go with it,
-- whoever changed the key: a Put, a Delete, Prune or an operator's psql.
-- A trigger knows exactly which bytes those were, where a statement that
-- read them first could race a Put of the same key on another replica.
CREATE FUNCTION blobs_let_go() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM blob_data WHERE id = OLD.data_id;
	RETURN NULL;
END
$$;

CREATE TRIGGER blobs_replaced AFTER UPDATE OF data_id ON blobs
FOR EACH ROW WHEN (OLD.data_id <> NEW.data_id)
EXECUTE FUNCTION blobs_let_go();

CREATE TRIGGER blobs_deleted AFTER DELETE ON blobs
FOR EACH ROW EXECUTE FUNCTION blobs_let_go();
