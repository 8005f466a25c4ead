# Sourced by tools/dist_train.sh, tools/dist_test.sh and tools/slurm_train.sh.
# ROOT: the repository. PYTHON: $PYTHON if set, else the repository's
# virtualenv (README set-up) when there is one, else `python`.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python; fi
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

# torchrun_tool SCRIPT ARGS...: run tools/SCRIPT on this node's GPUS
# processes (NNODES, NODE_RANK, MASTER_ADDR, PORT for several nodes).
torchrun_tool() {
  local script=$1
  shift
  "$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$GPUS" \
    --master_port="${PORT:-29500}" \
    "$ROOT/tools/$script" "$@"
}

# randomness.deterministic=True on CUDA: cuBLAS needs a fixed workspace, set
# before it starts (tools/train.py sets it too; a user's value is kept).
export CUBLAS_WORKSPACE_CONFIG="${CUBLAS_WORKSPACE_CONFIG:-:4096:8}"
