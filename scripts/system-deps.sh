#!/usr/bin/env bash
# Installs the Debian packages the test suite uses for real, when they are missing.
# Each entry is "package:proof", the proof being a command on the PATH, an absolute path that
# must exist, or a shared library name (lib*.so*) known to the dynamic linker. More pairs may
# be given as arguments; with --demo only what the demo needs is checked.
# Idempotent and quiet: prints nothing when everything is already there.
set -euo pipefail
demo_pairs=(
  "libpango-1.0-0:libpango-1.0.so.0"  # WeasyPrint's text layout (PDF reports)
  "fonts-dejavu-core:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # report and chart font
)
pairs=(
  "${demo_pairs[@]}"
  "fusioninventory-agent:fusioninventory-inventory"  # inventory agent files (tests/test_inventory_agent.py)
  "openjdk-17-jre-headless:java"  # Spark local mode (tests/test_backends.py)
  "postgresql:pg_ctlcluster"  # PostgreSQL server for the store tests (scripts/postgres.sh)
  "poppler-utils:pdftotext"  # PDF text and pages of the reuse documents (tests/test_reuse.py)
  "chromium:chromium"  # real browser for the end-to-end tests (tests/test_e2e_*.py, Playwright)
  "nginx-light:/usr/sbin/nginx"  # the shipped proxy configuration, for real (tests/test_install.py)
  "systemd:systemd-analyze"  # verifies the shipped unit (tests/test_install.py)
)
if [ "${1:-}" = "--demo" ]; then
  shift
  pairs=("${demo_pairs[@]}")
fi
present() {
  case "$1" in
    /*) [ -e "$1" ] ;;
    lib*.so*) ldconfig -p 2>/dev/null | grep -q "$1" ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}
need=()
for pair in "${pairs[@]}" "$@"; do
  pkg=${pair%%:*}
  proof=${pair#*:}
  present "$proof" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Paquets Debian manquants : ${need[*]} (lancez : sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
