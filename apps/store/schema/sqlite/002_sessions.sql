-- Schema version 2 (SQLite): what the TAM workers record while serving
-- devices. Keep in step with postgresql/002_sessions.sql.

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id INTEGER REFERENCES devices (id) ON DELETE CASCADE,
    state INTEGER NOT NULL,
    challenge BLOB CHECK (length(challenge) BETWEEN 8 AND 512),
    context BLOB CHECK (length(context) <= 65536),
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    expires INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_device ON sessions (device_id);
CREATE INDEX sessions_expires ON sessions (expires);

-- Single-use values: kind 1 is a TEEP token, kind 2 an attestation
-- challenge. consumed is 0 or 1 (a boolean in PostgreSQL).
CREATE TABLE tokens (
    kind INTEGER NOT NULL CHECK (kind IN (1, 2)),
    value BLOB NOT NULL,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    consumed INTEGER NOT NULL DEFAULT 0 CHECK (consumed IN (0, 1)),
    consumed_at INTEGER,
    PRIMARY KEY (kind, value),
    CHECK ((kind = 1 AND length(value) BETWEEN 8 AND 64) OR
           (kind = 2 AND length(value) BETWEEN 8 AND 512))
) STRICT, WITHOUT ROWID;
CREATE INDEX tokens_session ON tokens (session_id);
CREATE INDEX tokens_expires ON tokens (expires);

CREATE TABLE attestation_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id INTEGER REFERENCES devices (id) ON DELETE CASCADE,
    session_id INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
    verdict INTEGER NOT NULL CHECK (verdict BETWEEN 1 AND 4),
    reason_code INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 1024),
    claims TEXT NOT NULL DEFAULT '' CHECK (length(claims) <= 16384),
    created INTEGER NOT NULL
) STRICT;
CREATE INDEX attestation_results_device ON attestation_results (device_id, id);
CREATE INDEX attestation_results_session ON attestation_results (session_id);

CREATE TABLE installed (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    component_id BLOB NOT NULL
        CHECK (length(component_id) BETWEEN 1 AND 1024),
    sequence INTEGER NOT NULL CHECK (sequence >= 0),
    digest BLOB NOT NULL CHECK (length(digest) <= 128),
    reported INTEGER NOT NULL,
    UNIQUE (device_id, component_id)
) STRICT;

-- (session_id, token, item) stores each report once, whatever the number
-- of retried or racing submissions.
CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token BLOB NOT NULL CHECK (length(token) <= 64),
    item INTEGER NOT NULL CHECK (item BETWEEN 0 AND 65535),
    result INTEGER NOT NULL,
    report BLOB NOT NULL CHECK (length(report) BETWEEN 1 AND 65536),
    created INTEGER NOT NULL,
    UNIQUE (session_id, token, item)
) STRICT;
CREATE INDEX reports_device ON reports (device_id, id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created INTEGER NOT NULL,
    actor TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 128),
    action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    object TEXT NOT NULL CHECK (length(object) <= 128),
    detail TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 1024)
) STRICT;
CREATE INDEX audit_log_object ON audit_log (object, id);

CREATE TABLE counters (
    name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 128),
    value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
