-- Schema version 6 (PostgreSQL): nothing changes. Keep in step with
-- sqlite/006_session_ids.sql, which drops AUTOINCREMENT from audit_log and
-- installed. SQLite writes the id counter of such a table on each insert.
-- The identity columns of PostgreSQL take their ids from sequences, which
-- never hand out an id twice.
SELECT 1;
