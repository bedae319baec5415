-- Schema version 1 (SQLite): the inventory that the admin API manages.
-- Keep in step with postgresql/001_inventory.sql: same tables, columns,
-- constraints and indexes, written in each dialect.

CREATE TABLE device_classes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 128),
    description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 1024),
    vendor_id BLOB CHECK (length(vendor_id) <= 64),
    class_uuid BLOB CHECK (length(class_uuid) <= 64),
    created INTEGER NOT NULL
) STRICT;

CREATE TABLE devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ueid BLOB NOT NULL UNIQUE CHECK (length(ueid) BETWEEN 1 AND 64),
    class_id INTEGER REFERENCES device_classes (id),
    name TEXT NOT NULL DEFAULT '' CHECK (length(name) <= 128),
    state INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3),
    created INTEGER NOT NULL,
    last_seen INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX devices_class ON devices (class_id);

CREATE TABLE device_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key_use INTEGER NOT NULL CHECK (key_use IN (1, 2)),
    kid BLOB NOT NULL CHECK (length(kid) BETWEEN 1 AND 64),
    alg INTEGER NOT NULL,
    cose_key BLOB NOT NULL CHECK (length(cose_key) BETWEEN 1 AND 4096),
    created INTEGER NOT NULL,
    UNIQUE (key_use, kid)
) STRICT;
CREATE INDEX device_keys_device ON device_keys (device_id);

CREATE TABLE components (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    component_id BLOB NOT NULL UNIQUE
        CHECK (length(component_id) BETWEEN 1 AND 1024),
    name TEXT NOT NULL DEFAULT '' CHECK (length(name) <= 128),
    created INTEGER NOT NULL
) STRICT;

CREATE TABLE component_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    component INTEGER NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    sequence INTEGER NOT NULL CHECK (sequence >= 0),
    digest BLOB NOT NULL CHECK (length(digest) BETWEEN 1 AND 128),
    envelope BLOB NOT NULL CHECK (length(envelope) BETWEEN 1 AND 16777216),
    size INTEGER NOT NULL,
    uploaded INTEGER NOT NULL,
    UNIQUE (component, sequence),
    UNIQUE (component, digest)
) STRICT;

CREATE TABLE policy (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id INTEGER REFERENCES devices (id) ON DELETE CASCADE,
    class_id INTEGER REFERENCES device_classes (id) ON DELETE CASCADE,
    component INTEGER NOT NULL REFERENCES components (id),
    action INTEGER NOT NULL CHECK (action IN (1, 2)),
    created INTEGER NOT NULL,
    CHECK ((device_id IS NULL) <> (class_id IS NULL)),
    UNIQUE (device_id, component),
    UNIQUE (class_id, component)
) STRICT;
CREATE INDEX policy_component ON policy (component);

CREATE TABLE reference_values (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id INTEGER REFERENCES devices (id) ON DELETE CASCADE,
    class_id INTEGER REFERENCES device_classes (id) ON DELETE CASCADE,
    kind INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 5),
    label BLOB NOT NULL CHECK (length(label) <= 256),
    value BLOB NOT NULL CHECK (length(value) BETWEEN 1 AND 4096),
    created INTEGER NOT NULL,
    CHECK ((device_id IS NULL) <> (class_id IS NULL))
) STRICT;
CREATE INDEX reference_values_device ON reference_values (device_id);
CREATE INDEX reference_values_class ON reference_values (class_id);
