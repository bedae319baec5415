-- Schema version 4 (SQLite): tokens that the TAM authenticates without a
-- row per token. Keep in step with postgresql/004_used_tokens.sql.

-- Secrets that every TAM worker of the database shares, such as the key
-- that authenticates the tokens of the QueryRequests that start sessions.
CREATE TABLE secrets (
    name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
    value BLOB NOT NULL CHECK (length(value) BETWEEN 16 AND 64),
    created INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Self-authenticating tokens that a message has used: the SHA-256 digest
-- of the token and the expiry that the token carries. The primary key
-- makes a second use fail. Entries are purged after their expiry, when
-- the expiry alone rejects the token. The expiry leads the key, so new
-- entries go to the end of the tree and a purge removes its start.
CREATE TABLE used_tokens (
    expires INTEGER NOT NULL,
    digest BLOB NOT NULL CHECK (length(digest) = 32),
    PRIMARY KEY (expires, digest)
) STRICT, WITHOUT ROWID;
