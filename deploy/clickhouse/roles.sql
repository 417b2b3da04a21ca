-- Least-privilege access for ccsync, for servers managed with SQL. Run once as an administrator:
--   clickhouse client --multiquery < deploy/clickhouse/roles.sql
-- then create users and give them a role, e.g.
--   CREATE USER laptop IDENTIFIED WITH sha256_password BY '...' DEFAULT ROLE ccsync_agent;
--   GRANT ccsync_agent TO laptop;
-- The database is `ccsync`; for another name replace `ccsync.` below. Schema upgrades need DDL
-- rights: run `ccsync schema apply` once as an administrator, agents then need none.
-- docker-compose.yml uses users.d/ccsync.xml instead, with exactly these privileges.

-- Agents (one user per workstation, or one shared): append usage and run records, and read what
-- a sync and `ccsync status` read. No ALTER, DROP, TRUNCATE, DELETE, no other database.
CREATE ROLE IF NOT EXISTS ccsync_agent;
GRANT INSERT, SELECT ON ccsync.usage_events TO ccsync_agent;
GRANT INSERT, SELECT ON ccsync.sync_runs TO ccsync_agent;
GRANT INSERT, SELECT ON ccsync.usage_rollup TO ccsync_agent;
GRANT INSERT, SELECT ON ccsync.machine_accounts TO ccsync_agent;
GRANT SELECT ON ccsync.schema_migrations TO ccsync_agent;

-- Grafana and analysts: read everything of ccsync, change nothing.
CREATE ROLE IF NOT EXISTS ccsync_reader;
GRANT SELECT ON ccsync.* TO ccsync_reader;
