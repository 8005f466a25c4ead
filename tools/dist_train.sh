#!/usr/bin/env bash
# Distributed training on one or more nodes with torchrun.
#   bash tools/dist_train.sh CONFIG GPUS [train.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on every node.
CONFIG=$1
GPUS=$2
source "$(dirname "$0")/_launch_env.sh"
torchrun_tool train.py "$CONFIG" --launcher pytorch "${@:3}"
