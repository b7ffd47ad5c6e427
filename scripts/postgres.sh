#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, on 127.0.0.1 and a free port.
#
#   scripts/postgres.sh start [DIR]   initdb + pg_ctl start in DIR (a new temporary folder by
#                                     default); prints the URL on stdout, the folder on stderr
#   scripts/postgres.sh stop DIR      stops the cluster and removes DIR
#
# Installs Debian's postgresql when missing (as root). Runs the server as the `postgres`
# user when started as root (PostgreSQL refuses to run as root), else as the current user.
# Trust authentication, loopback only, no durability: for tests, never for data.
set -euo pipefail

die() { echo "postgres.sh : $*" >&2; exit 1; }

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

ensure_postgres() {
  if find_bindir >/dev/null; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    die "PostgreSQL n'est pas installé (lancez : sudo apt-get install postgresql)"
  fi
  echo "postgres.sh : installation de PostgreSQL (paquet Debian postgresql)…" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  find_bindir >/dev/null || die "PostgreSQL installé mais initdb introuvable"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  ensure_postgres
  local bindir dir port
  bindir="$(find_bindir)"
  dir="${1:-$(mktemp -d "${TMPDIR:-/tmp}/sobrenum-pg-XXXXXX")}"
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    chown postgres "$dir"
  fi
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb a échoué dans $dir"; }
  for attempt in 1 2 3; do
    port="$(free_port)"
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' \
            -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
            -c max_connections=200" >/dev/null; then
      echo "postgresql://postgres@127.0.0.1:$port/postgres"
      echo "$dir" >&2
      return 0
    fi
  done
  cat "$dir/server.log" >&2 || true
  die "le serveur PostgreSQL n'a pas démarré (journal : $dir/server.log)"
}

stop() {
  local dir="${1:?dossier du cluster attendu}" bindir
  if [ -f "$dir/data/postmaster.pid" ] && bindir="$(find_bindir)"; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) die "usage : postgres.sh start [DIR] | stop DIR" ;;
esac
