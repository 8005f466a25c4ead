#!/usr/bin/env bash
# Creates (or refreshes) the project's virtualenv in .venv and installs the whole
# OpenMMLab stack. Idempotent: a second run only checks a stamp and returns.
#
#   bash tools/setup_env.sh            # mmcv ops for this machine: CUDA ops when
#                                      # torch sees a GPU (needs a matching nvcc)
#   FORCE_CUDA=1 bash tools/setup_env.sh   # CUDA ops without a visible GPU
#                                          # (set TORCH_CUDA_ARCH_LIST)
#
# Environment knobs (docs/gpu.md):
#   MMDDARTS_VENV   where the virtualenv goes          (default: <repo>/.venv)
#   MMDDARTS_CACHE  where the built mmcv wheel is kept (default: ~/.cache/mmddarts)
#   PYTHON          the interpreter used for the venv  (default: python3.11, else python3)
#   TORCH_VERSION / TORCHVISION_VERSION   the torch to install (2.14.1 / 0.29.1)
#   TORCH_INDEX_URL  index for torch, e.g. https://download.pytorch.org/whl/cu126
#   MMDDARTS_KEEP_TORCH  1: keep the venv's torch whatever it is; 0: always
#                   install TORCH_VERSION; unset: keep a working CUDA torch >= 2.1
#   MMDDARTS_SYSTEM_SITE_PACKAGES=1  venv sees the system's packages (a CUDA
#                   torch preinstalled on a GPU image)
#   FORCE_CUDA      1 / 0: CUDA ops on / off (default: on when torch sees a GPU)
#   TORCH_CUDA_ARCH_LIST  GPU archs to build for (default: the visible GPUs')
#   MAX_JOBS        parallel compile jobs (default: cores, capped by memory)
#   MMDDARTS_CPU_OPS_ONLY=1  on a GPU host without nvcc: CPU ops only
#                   (detection on GPU will not work)
#   MMDDARTS_NO_DATASETS=1  skip installing Fashion-MNIST (Debian package)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMDDARTS_VENV:-$ROOT/.venv}"
CACHE="${MMDDARTS_CACHE:-$HOME/.cache/mmddarts}"
MMCV_VERSION=2.1.0
TORCH_VERSION="${TORCH_VERSION:-2.14.1}"
TORCHVISION_VERSION="${TORCHVISION_VERSION:-0.29.1}"

log() { printf '[setup_env] %s\n' "$*" >&2; }

# Fashion-MNIST, the real benchmark data set (docs/benchmarks.md): Debian's
# dataset-fashion-mnist, installed where apt is usable (root + apt-get);
# never fails the set-up, prints the command otherwise. Checked before the
# stamp: the data can go missing while the venv stays up to date.
FMNIST_DIR=/usr/share/datasets/fashion-mnist
if [ "${MMDDARTS_NO_DATASETS:-0}" != 1 ] && \
   [ ! -f "$FMNIST_DIR/train-images-idx3-ubyte.gz" ] && \
   [ ! -f "$FMNIST_DIR/train-images-idx3-ubyte" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Fashion-MNIST (apt-get install dataset-fashion-mnist, 31 MB)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 \
           && apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; } \
      || log "could not install Fashion-MNIST; to use it: sudo apt-get install dataset-fashion-mnist"
  else
    log "Fashion-MNIST is not installed; to use it: sudo apt-get install dataset-fashion-mnist"
  fi
fi

if [ -z "${PYTHON:-}" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi

# The stamp covers everything that decides what is installed.
STAMP_KEY="$(cat "$ROOT"/requirements/*.txt "$ROOT/tools/setup_env.sh" "$ROOT/setup.py" \
    "$ROOT/tools/setup/mmcv_build_plan.py" \
  | { echo "cuda=${FORCE_CUDA:-auto} torch=$TORCH_VERSION ${TORCH_INDEX_URL:-}"; \
      echo "archs=${TORCH_CUDA_ARCH_LIST:-} cpuops=${MMDDARTS_CPU_OPS_ONLY:-}"; cat; } \
  | sha256sum | cut -c1-16)"
STAMP="$VENV/.mmddarts-setup-$STAMP_KEY"
if [ -f "$STAMP" ]; then
  log "environment up to date ($VENV)"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtualenv $VENV with $PYTHON"
  VENV_ARGS=()
  [ "${MMDDARTS_SYSTEM_SITE_PACKAGES:-0}" = 1 ] && VENV_ARGS+=(--system-site-packages)
  "$PYTHON" -m venv "${VENV_ARGS[@]}" "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --disable-pip-version-check --progress-bar off)
mkdir -p "$CACHE"

"${PIP[@]}" -q --upgrade "pip>=24"
# --- torch: keep a working CUDA torch the user already has (pip install -e
# and the requirements must not replace it), else install TORCH_VERSION. ---
KEEP="${MMDDARTS_KEEP_TORCH:-auto}"
HAVE="$("$PY" -c 'import torch
v = tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2])
print(torch.__version__, int(torch.cuda.is_available()), int(v >= (2, 1)))' 2>/dev/null || true)"
if [ -n "$HAVE" ] && { [ "$KEEP" = 1 ] || { [ "$KEEP" = auto ] && [ "${HAVE#* }" = "1 1" ]; }; }; then
  log "keeping the installed torch ${HAVE%% *} (MMDDARTS_KEEP_TORCH=0 replaces it)"
  "$PY" -c 'import torchvision' 2>/dev/null \
    || log "WARNING: torchvision is missing; install the one matching torch ${HAVE%% *}"
else
  TORCH_INDEX=()
  [ -n "${TORCH_INDEX_URL:-}" ] && TORCH_INDEX=(--index-url "$TORCH_INDEX_URL")
  "${PIP[@]}" -q "${TORCH_INDEX[@]}" "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
fi
# requirements without the torch pins (torch is settled above)
no_torch() { grep -v -E '^(torch|torchvision)([=<>!~ ]|$)' "$1"; }
REQ_TMP="$(mktemp -d)"
trap 'rm -rf "$REQ_TMP" "${BUILD:-}"' EXIT
no_torch "$ROOT/requirements/build.txt" > "$REQ_TMP/build.txt"
"${PIP[@]}" -q -r "$REQ_TMP/build.txt"

# --- mmcv 2.1.0 with compiled ops, built once per (torch, torch CUDA, CPU/CUDA
# ops, GPU archs) and cached; tools/setup/mmcv_build_plan.py decides. ---
PLAN="$("$PY" "$ROOT/tools/setup/mmcv_build_plan.py" plan)" || {
  log "cannot set up mmcv's compiled ops on this machine (see above)"; exit 3; }
eval "$PLAN"
WHEEL_DIR="$CACHE/$MMDDARTS_WHEEL_KEY"
mkdir -p "$WHEEL_DIR"
if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
  if [ "$MMDDARTS_MMCV_CUDA" = 1 ]; then
    log "building mmcv $MMCV_VERSION with CUDA ops for archs $MMDDARTS_ARCH_LIST" \
        "(torch CUDA $MMDDARTS_TORCH_CUDA, $MMDDARTS_MAX_JOBS jobs)"
  else
    log "building mmcv $MMCV_VERSION with CPU ops (about 13 minutes on 2 cores)"
  fi
  BUILD="$(mktemp -d)"
  # removed by the EXIT trap above
  "$PY" -m pip download -q --no-deps --no-build-isolation --no-binary :all: \
    "mmcv==$MMCV_VERSION" -d "$BUILD"
  tar -xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
  SRC="$BUILD/mmcv-$MMCV_VERSION"
  # torch >= 2.14 headers need C++20; mmcv 2.1.0 hard-codes -std=c++17.
  sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
  # mmcv turns CUDA on by itself when torch sees a GPU: pin it both ways.
  if [ "$MMDDARTS_MMCV_CUDA" = 1 ]; then
    (cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$MMDDARTS_ARCH_LIST" \
      MAX_JOBS="$MMDDARTS_MAX_JOBS" \
      "$PY" -m pip wheel -q --no-build-isolation --no-deps . -w "$BUILD/wheel")
  else
    (cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA=0 CUDA_VISIBLE_DEVICES="" \
      MAX_JOBS="$MMDDARTS_MAX_JOBS" \
      "$PY" -m pip wheel -q --no-build-isolation --no-deps . -w "$BUILD/wheel")
  fi
  mv "$BUILD"/wheel/mmcv-*.whl "$WHEEL_DIR/"
fi
"${PIP[@]}" -q "$WHEEL_DIR"/mmcv-*.whl

no_torch "$ROOT/requirements/runtime.txt" > "$REQ_TMP/runtime.txt"
"${PIP[@]}" -q -r "$REQ_TMP/runtime.txt" -r "$ROOT/requirements/tests.txt"
"${PIP[@]}" -q --no-build-isolation --no-deps -e "$ROOT"

# Fail now, not in the first test, if the compiled ops did not make it.
"$PY" - <<'EOF'
import mmcv, mmcv.ops, mmdet, mmpretrain, mmengine, torch
print(f'[setup_env] torch {torch.__version__}, mmcv {mmcv.__version__} (ops ok), '
      f'mmdet {mmdet.__version__}, mmpretrain {mmpretrain.__version__}, mmengine {mmengine.__version__}')
EOF
# the ops mmdet needs, run for real (forward and backward on CUDA with a GPU)
"$PY" "$ROOT/tools/setup/mmcv_build_plan.py" selfcheck || exit 4
rm -f "$VENV"/.mmddarts-setup-*
touch "$STAMP"
log "done"
