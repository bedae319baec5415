-- Schema version 6 (SQLite): no AUTOINCREMENT on the tables whose ids no
-- reader needs to stay unused. Keep in step with
-- postgresql/006_session_ids.sql.

-- Every insert into an AUTOINCREMENT table looks up and rewrites the
-- table's row in sqlite_sequence. Without AUTOINCREMENT, SQLite gives a new
-- row the largest id plus one, so ids keep increasing. An id comes back
-- only after the row with the largest id was deleted.
--
-- audit_log: entries are never deleted, so its ids behave as before.
-- installed: a device's entries are deleted and inserted again whenever it
-- reports its installed state, so their ids never identified anything for
-- long. The admin API counts them per component by pages of increasing
-- ids, and an entry that comes back with the id it had is counted once, as
-- before.
--
-- The other tables keep AUTOINCREMENT. Session ids are matched by the
-- tokens (005_token_pages.sql), and the admin API serves reports and
-- attestation results by id, so a device's deletion must not free its ids.

CREATE TABLE installed_v6 (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    component_id BLOB NOT NULL
        CHECK (length(component_id) BETWEEN 1 AND 1024),
    sequence INTEGER NOT NULL CHECK (sequence >= 0),
    digest BLOB NOT NULL CHECK (length(digest) <= 128),
    reported INTEGER NOT NULL,
    UNIQUE (device_id, component_id)
) STRICT;
INSERT INTO installed_v6 (id, device_id, component_id, sequence, digest,
                          reported)
    SELECT id, device_id, component_id, sequence, digest, reported
    FROM installed;
DROP TABLE installed;
ALTER TABLE installed_v6 RENAME TO installed;
CREATE INDEX installed_component ON installed (component_id, id);

CREATE TABLE audit_log_v6 (
    id INTEGER PRIMARY KEY,
    created INTEGER NOT NULL,
    actor TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 128),
    action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    object TEXT NOT NULL CHECK (length(object) <= 128),
    detail TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 1024)
) STRICT;
INSERT INTO audit_log_v6 (id, created, actor, action, object, detail)
    SELECT id, created, actor, action, object, detail FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_v6 RENAME TO audit_log;
CREATE INDEX audit_log_object ON audit_log (object, id);
