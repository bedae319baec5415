-- Schema version 3 (PostgreSQL): the installed entries of one component,
-- for the devices-per-version counts of the admin API. Keep in step with
-- sqlite/003_installed_component.sql.

CREATE INDEX installed_component ON installed (component_id, id);
