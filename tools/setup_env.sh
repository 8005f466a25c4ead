#!/usr/bin/env bash
# Creates (or refreshes) the project's virtualenv in .venv and installs the whole
# OpenMMLab stack. Idempotent: a second run only checks a stamp and returns.
#
#   bash tools/setup_env.sh            # CPU build of mmcv ops
#   FORCE_CUDA=1 bash tools/setup_env.sh   # also build mmcv's CUDA ops (needs nvcc)
#
# Environment knobs:
#   MMDDARTS_VENV   where the virtualenv goes          (default: <repo>/.venv)
#   MMDDARTS_CACHE  where the built mmcv wheel is kept (default: ~/.cache/mmddarts)
#   PYTHON          the interpreter used for the venv  (default: python3.11, else python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMDDARTS_VENV:-$ROOT/.venv}"
CACHE="${MMDDARTS_CACHE:-$HOME/.cache/mmddarts}"
FORCE_CUDA="${FORCE_CUDA:-0}"
MMCV_VERSION=2.1.0
TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1

log() { printf '[setup_env] %s\n' "$*" >&2; }

if [ -z "${PYTHON:-}" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi

# The stamp covers everything that decides what is installed.
STAMP_KEY="$(cat "$ROOT"/requirements/*.txt "$ROOT/tools/setup_env.sh" "$ROOT/setup.py" \
  | { echo "cuda=$FORCE_CUDA"; cat; } | sha256sum | cut -c1-16)"
STAMP="$VENV/.mmddarts-setup-$STAMP_KEY"
if [ -f "$STAMP" ]; then
  log "environment up to date ($VENV)"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtualenv $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --disable-pip-version-check --progress-bar off)

"${PIP[@]}" -q --upgrade "pip>=24" 
"${PIP[@]}" -q -r "$ROOT/requirements/build.txt" "torchvision==$TORCHVISION_VERSION"

# --- mmcv 2.1.0 with compiled ops, built once per (torch, CUDA flag) and cached. ---
TORCH_TAG="$("$PY" -c 'import torch; print(torch.__version__.replace("+", "_"))')"
WHEEL_DIR="$CACHE/mmcv-$MMCV_VERSION-torch$TORCH_TAG-cuda$FORCE_CUDA"
mkdir -p "$WHEEL_DIR"
if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
  log "building mmcv $MMCV_VERSION from source (about 13 minutes on 2 cores)"
  BUILD="$(mktemp -d)"
  trap 'rm -rf "$BUILD"' EXIT
  "$PY" -m pip download -q --no-deps --no-build-isolation --no-binary :all: \
    "mmcv==$MMCV_VERSION" -d "$BUILD"
  tar -xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
  SRC="$BUILD/mmcv-$MMCV_VERSION"
  # torch >= 2.14 headers need C++20; mmcv 2.1.0 hard-codes -std=c++17.
  sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
  (cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA="$FORCE_CUDA" MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
    "$PY" -m pip wheel -q --no-build-isolation --no-deps . -w "$BUILD/wheel")
  mv "$BUILD"/wheel/mmcv-*.whl "$WHEEL_DIR/"
fi
"${PIP[@]}" -q "$WHEEL_DIR"/mmcv-*.whl

"${PIP[@]}" -q -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"
"${PIP[@]}" -q --no-build-isolation --no-deps -e "$ROOT"

# Fail now, not in the first test, if the compiled ops did not make it.
"$PY" - <<'EOF'
import mmcv, mmcv.ops, mmdet, mmpretrain, mmengine, torch
print(f'[setup_env] torch {torch.__version__}, mmcv {mmcv.__version__} (ops ok), '
      f'mmdet {mmdet.__version__}, mmpretrain {mmpretrain.__version__}, mmengine {mmengine.__version__}')
EOF
rm -f "$VENV"/.mmddarts-setup-*
touch "$STAMP"
log "done"
