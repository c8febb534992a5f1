#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1, installing and starting them if needed.
# Used by `make test` (and CI); safe to run when both are already up.
set -euo pipefail
PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "error: need root (or sudo) to run: $*" >&2; exit 1; fi; }

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq "$@" >/dev/null
}

pg_up() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }

start_postgres() {
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
    as_root pg_createcluster "$version" main --start -- --auth-local=trust --auth-host=trust
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "error: PostgreSQL did not start on 127.0.0.1:$PG_PORT" >&2; exit 1; }
  # A password for TCP connections where the cluster does not trust local clients.
  as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null || true
}

redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/finelabel.log
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  redis_up || { echo "error: Redis did not start on 127.0.0.1:$REDIS_PORT" >&2; exit 1; }
}

pg_up || start_postgres
redis_up || start_redis
# The database `make bench` and a local run use (the tests make their own test_finelabel).
export PGPASSWORD=postgres
psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='finelabel'" \
  | grep -q 1 || createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres finelabel
echo "PostgreSQL and Redis are up."
