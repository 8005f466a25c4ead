#!/usr/bin/env bash
# Sets the environment up if needed (seconds when it already is), then runs the whole test suite.
# Extra arguments go to pytest, e.g. `bash tools/run_tests.sh tests/test_structures -x`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
# Toy networks: one intra-op thread per process is fastest (subprocess tools too).
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
# pytest exits 5 when it collects nothing: that is a failure here too (set -e).
exec "${MMDDARTS_VENV:-$ROOT/.venv}/bin/python" -m pytest tests -q -p no:cacheprovider "$@"
