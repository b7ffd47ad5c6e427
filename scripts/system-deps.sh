#!/usr/bin/env bash
# Installs the Debian packages the test suite uses for real, when they are missing.
# Each entry is "package:command-that-proves-it"; more pairs may be given as arguments.
# Idempotent and quiet: prints nothing when everything is already there.
set -euo pipefail
pairs=(
  "fusioninventory-agent:fusioninventory-inventory"  # inventory agent files (tests/test_inventory_agent.py)
  "openjdk-17-jre-headless:java"  # Spark local mode (tests/test_backends.py)
  "postgresql:pg_ctlcluster"  # PostgreSQL server for the store tests (scripts/postgres.sh)
  "poppler-utils:pdftotext"  # PDF text and pages of the reuse documents (tests/test_reuse.py)
  "chromium:chromium"  # real browser for the end-to-end tests (tests/test_e2e_*.py, Playwright)
)
need=()
for pair in "${pairs[@]}" "$@"; do
  pkg=${pair%%:*}
  cmd=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Paquets Debian manquants : ${need[*]} (lancez : sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
