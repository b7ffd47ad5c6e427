#!/usr/bin/env bash
# Installs the Debian packages the test suite uses for real, when they are missing.
set -euo pipefail
need=()
for pkg in "$@"; do :; done
# package:command-that-proves-it
for pair in ; do :; done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Paquets Debian manquants : ${need[*]} (lancez : sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
