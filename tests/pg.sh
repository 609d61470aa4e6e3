# Sourced by tests/run.sh: a private PostgreSQL for the tests, installed from Debian's packages
# when missing, in a temp dir that nothing else uses, reachable only on a unix socket there, and
# stopped when the test command exits. Tests read its address from YPAD_TEST_DATABASE_URL and
# make a fresh database each.

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pg_initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_initdb" ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  pg_initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
fi
pg_bin=$(dirname "$pg_initdb")

pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/ypad-pg.XXXXXX")
# initdb refuses to run as root; the server then runs as the `postgres` user the package made.
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$pg_dir"
  pg_as() { runuser -u postgres -- "$@"; }
  pg_as_cmd="runuser -u postgres --"
else
  pg_as() { "$@"; }
  pg_as_cmd=""
fi

pg_stop() {
  pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap pg_stop EXIT

pg_as "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
# fsync is off: this instance is thrown away with its temp dir, and the tests check what ypad
# commits, not what the disk keeps across a power cut.
pg_opts="-c listen_addresses='' -c unix_socket_directories='$pg_dir' -c fsync=off -c max_connections=200"
if ! pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -t 30 -o "$pg_opts" start >/dev/null; then
  cat "$pg_dir/log" >&2
  exit 1
fi
export YPAD_TEST_DATABASE_URL="postgresql://postgres@/postgres?host=$pg_dir"
# Shell commands that stop and start this server, for the test of a database outage.
export YPAD_TEST_PG_STOP="$pg_as_cmd $pg_bin/pg_ctl -D $pg_dir/data -m fast -w -t 30 stop"
export YPAD_TEST_PG_START="$pg_as_cmd $pg_bin/pg_ctl -D $pg_dir/data -l $pg_dir/log -w -t 30 -o \"$pg_opts\" start"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on $pg_dir"
