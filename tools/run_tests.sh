#!/usr/bin/env bash
# Sets the environment up if needed (seconds when it already is), then runs the whole test suite.
# Extra arguments go to pytest, e.g. `bash tools/run_tests.sh tests/test_structures -x` (only those tests).
#
# Other CPU code paths. The suite must pass whatever kernels the CPU picks: its float comparisons are
# relative to the magnitude compared and its image comparisons exact only away from rounding ties
# (docs/testing.md). To prove it on one machine, run it with the dispatchers forced to other paths;
# these variables are passed through to every test and subprocess:
#   ATEN_CPU_CAPABILITY=default|avx2|avx512  torch's own vectorised kernels (default: the best the CPU has)
#   ONEDNN_MAX_CPU_ISA=SSE41|AVX2|AVX512_CORE  oneDNN (torch's CPU convolutions), highest ISA it may use
#   OPENCV_CPU_DISABLE=AVX512F,AVX2,...      OpenCV's dispatched optimisations to turn off (mmcv's image ops)
# or MMDDARTS_CPU_PATH sets all three for x86-64 (a variable you set yourself wins):
#   MMDDARTS_CPU_PATH=avx2      ATen avx2, oneDNN AVX2, OpenCV without AVX-512
#   MMDDARTS_CPU_PATH=baseline  ATen default (no vector extensions beyond the build's), oneDNN SSE4.1,
#                               OpenCV at its SSE3 baseline
# e.g. `MMDDARTS_CPU_PATH=baseline bash tools/run_tests.sh tests/test_datasets`. Check which
# capability torch took with `python -c "import torch; print(torch.backends.cpu.get_cpu_capability())"`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
# Toy networks: one intra-op thread per process is fastest (subprocess tools too).
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
OPENCV_NO_AVX512=AVX512F,AVX512-SKX,AVX512-CLX,AVX512-COMMON
case "${MMDDARTS_CPU_PATH:-native}" in
  native) ;;
  avx2)
    export ATEN_CPU_CAPABILITY="${ATEN_CPU_CAPABILITY:-avx2}"
    export ONEDNN_MAX_CPU_ISA="${ONEDNN_MAX_CPU_ISA:-AVX2}"
    export OPENCV_CPU_DISABLE="${OPENCV_CPU_DISABLE:-$OPENCV_NO_AVX512}" ;;
  baseline)
    export ATEN_CPU_CAPABILITY="${ATEN_CPU_CAPABILITY:-default}"
    export ONEDNN_MAX_CPU_ISA="${ONEDNN_MAX_CPU_ISA:-SSE41}"
    export OPENCV_CPU_DISABLE="${OPENCV_CPU_DISABLE:-$OPENCV_NO_AVX512,AVX_VNNI,AVX2,FMA3,FP16,AVX,POPCNT,SSE4.2,SSE4.1}" ;;
  *) echo "MMDDARTS_CPU_PATH must be native, avx2 or baseline, got '$MMDDARTS_CPU_PATH'" >&2; exit 2 ;;
esac
# The whole suite unless the arguments name test paths (then only those).
targets=(tests)
for arg in "$@"; do
  case "$arg" in tests|tests/*) targets=(); break ;; esac
done
# pytest exits 5 when it collects nothing: that is a failure here too (set -e).
exec "${MMDDARTS_VENV:-$ROOT/.venv}/bin/python" -m pytest ${targets[@]+"${targets[@]}"} -q -p no:cacheprovider "$@"
