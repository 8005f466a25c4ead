#!/usr/bin/env bash
# GPU acceptance run of mmddarts on one NVIDIA GPU (docs/gpu.md), at most
# ~8 minutes of wall time, offline.
#
#   # on a machine that reaches the package index: the wheels to carry
#   bash tools/gpu_acceptance.sh --make-wheels DIR
#   # on the GPU machine (python 3.12, a CUDA torch, nvcc, no internet)
#   bash tools/gpu_acceptance.sh OUT_DIR --wheels DIR [--stages a,b,c] [--iters N]
#
# Stages, each timed and reported separately (OUT_DIR/summary.json, logs in
# OUT_DIR/logs), in the order that gives the most important facts first:
#   a  search on CUDA: 8 cells, C=16, batch 128, none/reference/exact in fp32,
#      fp16 and bf16 (s/iter, img/s, peak memory, finite losses, overflow-
#      skipped steps); resume of an fp16 AMP search (loss scale restored)
#   b  derived-network training with AMP and tools/test.py on CUDA (digits)
#   c  mmcv built with CUDA ops on this machine (its wall time reported), the
#      ops self-check, RetinaNet and Mask R-CNN for a few iterations on the
#      tiny shape data with COCO evaluation
# Stages a and b need no compiled mmcv ops: mmcv is first installed from
# the sdist without ops (seconds); stage c replaces it. A venv in
# OUT_DIR/venv sees the machine's own CUDA torch (--system-site-packages).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"

if [ "${1:-}" = --make-wheels ]; then
  [ -n "${2:-}" ] || { echo "usage: $0 --make-wheels DIR" >&2; exit 2; }
  exec "$PY" "$ROOT/tools/setup/make_wheels.py" "$2" "${@:3}"
fi

usage() { echo "usage: $0 OUT_DIR --wheels DIR [--stages a,b,c] [--iters N]" >&2; exit 2; }
[ -n "${1:-}" ] && [ "${1#-}" = "$1" ] || usage
OUT="$(mkdir -p "$1" && cd "$1" && pwd)"; shift
WHEELS=""; STAGES="a,b,c"; ITERS=24
while [ $# -gt 0 ]; do
  case "$1" in
    --wheels) WHEELS="$(cd "$2" && pwd)"; shift 2 ;;
    --stages) STAGES="$2"; shift 2 ;;
    --iters) ITERS="$2"; shift 2 ;;
    *) usage ;;
  esac
done
LOGS="$OUT/logs"; mkdir -p "$LOGS"
SUMMARY="$OUT/summary.json"
[ -f "$SUMMARY" ] || echo '{}' > "$SUMMARY"
log() { printf '[gpu_acceptance %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# record KEY JSON: merge one entry into the summary (kept across calls, so a
# lease can be split: --stages a,b then --stages c)
record() {
  "$PY" - "$SUMMARY" "$1" "$2" <<'PYEOF'
import json, sys
path, key, value = sys.argv[1:]
data = json.load(open(path))
data[key] = json.loads(value)
json.dump(data, open(path, 'w'), indent=1)
PYEOF
}

# stage NAME COMMAND...: run, time, record rc and seconds; never abort the run
stage() {
  local name=$1; shift
  local t0 rc
  t0=$(date +%s.%N)
  log "stage $name: $*"
  set +e
  "$@" > "$LOGS/$name.log" 2>&1
  rc=$?
  set -e
  local secs
  secs=$("$PY" -c "print(round($(date +%s.%N) - $t0, 1))")
  record "$name" "{\"rc\": $rc, \"seconds\": $secs, \"log\": \"logs/$name.log\"}"
  [ $rc -eq 0 ] && log "stage $name ok (${secs} s)" || log "stage $name FAILED rc=$rc (${secs} s): see $LOGS/$name.log"
  return 0
}

# --- environment: our dependencies from the wheel folder only ------------
VENV="$OUT/venv"
if [ ! -x "$VENV/bin/python" ]; then
  [ -n "$WHEELS" ] || { echo "no venv in $OUT yet: pass --wheels DIR" >&2; exit 2; }
  log "creating $VENV (system site packages: the machine's CUDA torch)"
  "$PY" -m venv --system-site-packages "$VENV"
  "$VENV/bin/python" -m pip install -q --no-index --find-links "$WHEELS" \
    mmengine==0.10.7 mmpretrain==1.2.0 mmdet==3.3.0 pycocotools scikit-learn \
    matplotlib "setuptools>=77,<82" packaging ninja addict yapf > "$LOGS/install.log" 2>&1
  # mmcv without compiled ops, for stages a and b (seconds)
  MMCV_WITH_OPS=0 "$VENV/bin/python" -m pip install -q --no-index --no-deps \
    --no-build-isolation "$WHEELS"/mmcv-2.1.0.tar.gz >> "$LOGS/install.log" 2>&1
fi
VPY="$VENV/bin/python"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export MMDDARTS_ALLOW_CPU=0
"$VPY" - > "$OUT/device.json" <<'PYEOF'
import json, torch
print(json.dumps(dict(torch=torch.__version__, cuda=torch.version.cuda,
                      devices=[torch.cuda.get_device_name(i)
                               for i in range(torch.cuda.device_count())])))
PYEOF
record device "$(cat "$OUT/device.json")"
cd "$ROOT"

if [[ ",$STAGES," == *",a,"* ]]; then
  stage a_search_bench "$VPY" tools/analysis_tools/search_step_bench.py \
    configs/search/ddarts_c10.py --device cuda --batch 128 --iters "$ITERS" \
    --modes none reference exact --precisions fp32 fp16 bf16 \
    --json "$OUT/a_search_bench.json"
  [ -f "$OUT/a_search_bench.json" ] && record a_search_bench_results "$(cat "$OUT/a_search_bench.json")"
  "$VPY" tools/misc/write_tiny_cifar.py "$OUT/data/cifar10" --num-train 1024 \
    --num-test 256 > /dev/null
  stage a_amp_resume "$VPY" tools/analysis_tools/amp_resume_check.py \
    configs/search/ddarts_c10.py "$OUT/data/cifar10" "$OUT/work/a_resume" \
    --dtype float16 --cfg-options \
    train_dataloader.batch_size=128 arch_dataloader.batch_size=128 \
    train_dataloader.num_workers=4 arch_dataloader.num_workers=4
fi

if [[ ",$STAGES," == *",b,"* ]]; then
  stage b_train_amp "$VPY" tools/train.py configs/train/ddarts_digits.py --amp \
    --work-dir "$OUT/work/b" --cfg-options train_cfg.max_epochs=2 train_cfg.val_interval=2
  stage b_test "$VPY" tools/test.py configs/train/ddarts_digits.py \
    "$OUT/work/b/epoch_2.pth" --work-dir "$OUT/work/b_test"
fi

if [[ ",$STAGES," == *",c,"* ]]; then
  # mmcv with CUDA ops for this GPU, from the carried sdist
  build_mmcv() {
    local plan
    plan="$("$VPY" tools/setup/mmcv_build_plan.py plan)" || return 3
    eval "$plan"
    [ "$MMDDARTS_MMCV_CUDA" = 1 ] || { echo "no usable GPU/nvcc for CUDA ops" >&2; return 3; }
    MMCV_WITH_OPS=1 FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$MMDDARTS_ARCH_LIST" \
      MAX_JOBS="$MMDDARTS_MAX_JOBS" "$VPY" -m pip install -q --no-index --no-deps \
      --no-build-isolation --force-reinstall "$WHEELS"/mmcv-2.1.0.tar.gz
  }
  [ -n "$WHEELS" ] || { echo "stage c needs --wheels DIR (the mmcv sdist)" >&2; exit 2; }
  stage c_mmcv_cuda_build build_mmcv
  stage c_ops_selfcheck "$VPY" tools/setup/mmcv_build_plan.py selfcheck
  "$VPY" tools/misc/write_tiny_det_data.py --out "$OUT/data/tiny_coco" > /dev/null
  "$VPY" tools/misc/write_tiny_det_data.py --cityscapes --out "$OUT/data/tiny_cityscapes" > /dev/null
  stage c_retinanet "$VPY" tools/train.py configs/detection/retinanet_do2-resnet18_fpn_tiny-shapes.py \
    --work-dir "$OUT/work/c_retinanet" --cfg-options data_root="$OUT/data/tiny_coco/" train_cfg.max_epochs=2 train_cfg.val_interval=2
  stage c_mask_rcnn "$VPY" tools/train.py configs/instance_seg/mask-rcnn_do2-resnet18_fpn_tiny-cityscapes.py \
    --work-dir "$OUT/work/c_mask_rcnn" --cfg-options data_root="$OUT/data/tiny_cityscapes/" train_cfg.max_epochs=2 train_cfg.val_interval=2
fi
log "summary: $SUMMARY"
cat "$SUMMARY"
