#!/usr/bin/env bash
# Mutation testing with cosmic-ray: `scripts/mutation.sh NAME` mutates the module named in
# mutation/NAME.toml, runs its tests against every mutant and prints the survivors.
# Sessions (one SQLite file per module) stay in mutation/.sessions/ so a run can be resumed.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/mutation.sh NAME (a file mutation/NAME.toml)}
config="mutation/$name.toml"
session="mutation/.sessions/$name.sqlite"
bin=.venv/bin
export PATH="$PWD/$bin:$PATH"  # `python` in the test command is the project's
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p mutation/.sessions
if [[ ! -f $session || ${FRESH:-0} == 1 ]]; then
    "$bin/cosmic-ray" init "$config" "$session" --force
    # Operators the config excludes (bit shifts and the like on floats: killed by any test).
    "$bin/cr-filter-operators" "$session" "$config"
    # SAMPLE=N: a reproducible random sample of N mutants (the others are skipped).
    if [[ -n ${SAMPLE:-} ]]; then
        "$bin/python" scripts/mutation_sample.py "$session" "$SAMPLE"
    fi
fi
# A warm pytest (scripts/pytest_forkserver.py) when the test command asks for one: the
# libraries are imported once, each mutant's run is a fork that imports the project afresh.
socket="mutation/.sessions/$name.sock"
if grep -q "pytest_forkserver.py run" "$config"; then
    find src -name __pycache__ -prune -exec rm -rf {} +  # no stale bytecode of a mutant
    warm=$(grep '^test-command' "$config" | grep -o 'tests/[a-z_0-9]*\.py' | sort -u)
    rm -f "$socket"
    module=$(sed -n 's/^module-path = "\(.*\)"/\1/p' "$config")
    "$bin/python" scripts/pytest_forkserver.py serve "$socket" "$module" tests/conftest.py $warm &
    server=$!
    trap 'kill $server 2>/dev/null; rm -f "$socket"' EXIT
    for _ in $(seq 600); do [[ -S $socket ]] && break; sleep 0.1; done
fi
"$bin/cosmic-ray" baseline "$config"
"$bin/cosmic-ray" exec "$config" "$session"
"$bin/cr-report" "$session" --surviving-only
"$bin/cr-rate" "$session" --estimate || true
