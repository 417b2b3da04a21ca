#!/bin/bash
# First start of the docker-compose ClickHouse: the ccsync schema (from schema/, the same files the
# agent embeds), applied as the admin so that agents need no DDL rights. The least-privilege
# users themselves are defined in deploy/clickhouse/users.d/ccsync.xml.
set -euo pipefail
DB="${CCSYNC_DATABASE:-ccsync}"
client() { clickhouse client --user "$CLICKHOUSE_USER" --password "$CLICKHOUSE_PASSWORD" "$@"; }

client --query "CREATE DATABASE IF NOT EXISTS \`$DB\`"
# Every file, in order; each is recorded as applied (000 is the bookkeeping table itself), so the
# agent's `schema apply` finds nothing to do and needs no DDL rights beyond its grants.
applied=()
for f in /ccsync/schema/[0-9][0-9][0-9]_*.sql; do
  client --database "$DB" --multiquery <"$f"
  name=$(basename "$f")
  [[ $name == 000_* ]] || applied+=("'$name'")
done
client --database "$DB" --query "INSERT INTO schema_migrations (version, name, checksum, agent_version)
  SELECT toUInt32(splitByChar('_', name)[1]), name, 0, 'initdb'
  FROM (SELECT arrayJoin([$(IFS=,; echo "${applied[*]}")]) AS name)"
