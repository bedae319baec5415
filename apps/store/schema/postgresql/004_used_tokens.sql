-- Schema version 4 (PostgreSQL): tokens that the TAM authenticates
-- without a row per token. Keep in step with sqlite/004_used_tokens.sql.

CREATE TABLE secrets (
    name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
    value BYTEA NOT NULL CHECK (length(value) BETWEEN 16 AND 64),
    created BIGINT NOT NULL
);

CREATE TABLE used_tokens (
    expires BIGINT NOT NULL,
    digest BYTEA NOT NULL CHECK (length(digest) = 32),
    PRIMARY KEY (expires, digest)
);
