"""Distributed start-up that also works on CPU-only machines, and the
shut-down every entry point runs at its end."""
import gc
import os
import traceback
from contextlib import contextmanager

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


def shutdown_process_group():
    """Free the objects that still hold the default process group and
    destroy it, while the interpreter is fully alive.

    Without it a rank may abort at exit (``terminate called without an
    active exception``, SIGABRT, exit status 134 on a successful run): the
    gloo process group is then released during interpreter finalization,
    from DDP's reducer or from its own worker threads whose finished work
    still holds tensors with Python references, and releasing those needs a
    Python that is being torn down (pytorch/pytorch#179291). Measured on a
    2-rank tiny digits search (tools/dist_train.sh): docs/search.md,
    "Clean exit".
    Call it after dropping the Runner (so ``gc`` can free its DDP wrapper);
    a no-op without a process group. Returns True when one was destroyed.
    """
    gc.collect()  # the Runner's DDP reducer holds the group
    if not (dist.is_available() and dist.is_initialized()):
        return False
    dist.destroy_process_group()
    gc.collect()
    return True


@contextmanager
def process_group_session(launcher='pytorch'):
    """Run a tool's body, then :func:`shutdown_process_group` whether it
    ended normally or with an error (``SystemExit`` included). The error's
    frames are cleared first so the objects they hold (the Runner and its
    DDP wrapper) are freed before the group goes; the error itself, and so
    the exit status, is unchanged. With ``launcher='none'`` nothing is torn
    down (a caller's own group, e.g. a test calling ``main()``, is kept)."""
    if launcher == 'none':
        yield
        return
    try:
        yield
    except BaseException as err:  # noqa: B902 (re-raised)
        traceback.clear_frames(err.__traceback__)
        shutdown_process_group()
        raise
    shutdown_process_group()


def record_effective_backend(cfg):
    """Write the backend of the running process group into
    ``cfg.env_cfg.dist_cfg`` (the config says ``nccl``; on a CPU-only
    machine :func:`init_cpu_dist_if_needed` started ``gloo``), so the config
    the Runner logs is the one in force. No-op without a process group.

    Returns the backend the config asked for (None when it names none)."""
    env_cfg = cfg.get('env_cfg') or {}
    configured = (env_cfg.get('dist_cfg') or {}).get('backend')
    if not (dist.is_available() and dist.is_initialized()):
        return configured
    dist_cfg = dict(env_cfg.get('dist_cfg') or {})
    dist_cfg['backend'] = str(dist.get_backend())
    env_cfg['dist_cfg'] = dist_cfg
    cfg['env_cfg'] = env_cfg
    return configured


def describe_devices(configured_backend=None) -> str:
    """One plain sentence: how many processes run on which devices with
    which backend. mmengine's environment log says ``GPU number: N`` for N
    processes even without a GPU; this line says what is really used."""
    cuda = torch.cuda.is_available()
    if dist.is_available() and dist.is_initialized():
        world, backend = dist.get_world_size(), str(dist.get_backend())
        procs = f'{world} process' + ('es' if world != 1 else '')
        if cuda:
            return (f'Devices: {procs}, one CUDA GPU each '
                    f'({torch.cuda.device_count()} visible on this node), '
                    f'backend {backend}.')
        instead = ''
        if configured_backend and configured_backend != backend:
            instead = f' instead of the configured {configured_backend}'
        return (f'Devices: no CUDA GPU, running on CPU - {procs}, '
                f'backend {backend}{instead} ("GPU number: {world}" in the '
                'environment log counts processes).')
    if cuda:
        return (f'Devices: 1 process on CUDA GPU '
                f'{torch.cuda.current_device()} '
                f'({torch.cuda.get_device_name()}).')
    return 'Devices: no CUDA GPU, running on CPU - 1 process.'
