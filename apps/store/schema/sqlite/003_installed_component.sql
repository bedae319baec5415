-- Schema version 3 (SQLite): the installed entries of one component, for
-- the devices-per-version counts of the admin API. Keep in step with
-- postgresql/003_installed_component.sql.

CREATE INDEX installed_component ON installed (component_id, id);
