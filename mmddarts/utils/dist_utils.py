"""Distributed start-up that also works on CPU-only machines."""
import os

import torch
import torch.distributed as dist


def init_cpu_dist_if_needed(launcher: str) -> bool:
    """Start a gloo process group for ``--launcher pytorch`` without CUDA.

    mmengine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and
    defaults to NCCL, so ``tools/dist_train.sh CONFIG 2`` would fail on a
    CPU-only machine. When there is no CUDA we create the gloo group from
    torchrun's environment first; the Runner then reuses it.

    Returns True when this function started the group.
    """
    if launcher != 'pytorch' or torch.cuda.is_available():
        return False
    if dist.is_available() and dist.is_initialized():
        return False
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
               if k not in os.environ]
    if missing:
        raise SystemExit(
            f'Error: --launcher pytorch needs {", ".join(missing)} in the '
            'environment: start it with tools/dist_train.sh (torchrun).')
    dist.init_process_group(backend='gloo')
    return True
