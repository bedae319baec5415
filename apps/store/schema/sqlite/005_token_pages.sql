-- Schema version 5 (SQLite): one B-tree less to write for each token that
-- a session stores. Keep in step with postgresql/005_token_pages.sql.

-- The tokens lose their foreign key to the sessions and the index that
-- it needed (tokens_session): every insert of a token wrote a page of
-- that index, and no query reads it. A token is inserted in the
-- transaction that creates or changes its session, and tk_store_token_add
-- checks the session itself. A token whose session was deleted (with its
-- device) no longer matches the join of the token check, so it is as
-- unknown as a token never issued, and the purge removes it after its
-- expiry like any other.
CREATE TABLE tokens_v5 (
    kind INTEGER NOT NULL CHECK (kind IN (1, 2)),
    value BLOB NOT NULL,
    session_id INTEGER NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    consumed INTEGER NOT NULL DEFAULT 0 CHECK (consumed IN (0, 1)),
    consumed_at INTEGER,
    PRIMARY KEY (kind, value),
    CHECK ((kind = 1 AND length(value) BETWEEN 8 AND 64) OR
           (kind = 2 AND length(value) BETWEEN 8 AND 512))
) STRICT, WITHOUT ROWID;
INSERT INTO tokens_v5 (kind, value, session_id, created, expires, consumed,
                       consumed_at)
    SELECT kind, value, session_id, created, expires, consumed, consumed_at
    FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_v5 RENAME TO tokens;
CREATE INDEX tokens_expires ON tokens (expires);
