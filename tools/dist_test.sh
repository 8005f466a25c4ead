#!/usr/bin/env bash
# Distributed evaluation with torchrun.
#   bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
source "$(dirname "$0")/_launch_env.sh"
torchrun_tool test.py "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
