#!/bin/sh
# Schema step of docker-compose.yml, run by the temporalio/admin-tools image before the
# server starts: create Temporal's two PostgreSQL databases and bring their schemas up to
# date, then create the desk's own "shop" database.
#
# Safe to run on every `docker compose up`: `setup-schema -v 0.0` runs only on a database
# that has no schema yet, because on an existing one it would reset the recorded version
# and make the next update replay migrations that are already applied.
set -eu

: "${POSTGRES_SEEDS:=postgresql}"
: "${DB_PORT:=5432}"
: "${POSTGRES_USER:=temporal}"
: "${SHOP_DBNAME:=shop}"
# temporal-sql-tool takes its password from SQL_PASSWORD.
export SQL_PASSWORD="${SQL_PASSWORD:-${POSTGRES_PWD:-}}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" \
    -u "$POSTGRES_USER" "$@"
}

echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT"
tries=0
until nc -z "$POSTGRES_SEEDS" "$DB_PORT"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "PostgreSQL did not come up" >&2
    exit 1
  fi
  sleep 1
done

schema() {
  db=$1
  dir=$2
  # `create` is a no-op when the database exists.
  sql --db "$db" create
  if out=$(sql --db "$db" update-schema -d "$dir" 2>&1); then
    echo "$out"
    echo "$db: schema up to date"
    return 0
  fi
  echo "$out"
  case "$out" in
    *schema_version*"does not exist"* | *42P01*)
      echo "$db: no schema yet, setting it up"
      sql --db "$db" setup-schema -v 0.0
      sql --db "$db" update-schema -d "$dir"
      ;;
    *)
      echo "$db: update-schema failed" >&2
      exit 1
      ;;
  esac
}

schema temporal "$SCHEMA_ROOT/temporal/versioned"
schema temporal_visibility "$SCHEMA_ROOT/visibility/versioned"

# The desk's sandbox shop lives beside Temporal on the same server (DESK_DATABASE_URL);
# the worker creates its tables on start.
sql --db "$SHOP_DBNAME" create
echo "PostgreSQL schemas ready"
