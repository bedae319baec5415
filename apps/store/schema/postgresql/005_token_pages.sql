-- Schema version 5 (PostgreSQL): one index less to write for each token
-- that a session stores. Keep in step with sqlite/005_token_pages.sql,
-- which explains why the tokens lose their foreign key to the sessions.

ALTER TABLE tokens DROP CONSTRAINT tokens_session_id_fkey;
DROP INDEX tokens_session;
