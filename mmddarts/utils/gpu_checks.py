"""Start-up checks for GPU hosts.

Two failures that otherwise surface late or never:

* a machine whose ``nvidia-smi`` lists GPUs but whose torch cannot use them
  (a CPU-only torch, or a CUDA build newer than the driver supports) would
  run the whole search on the CPU without a word;
* ``randomness.deterministic=True`` makes cuBLAS raise at the first matmul
  unless ``CUBLAS_WORKSPACE_CONFIG`` is set before cuBLAS starts.
"""
import os
import shutil
import subprocess

import torch

CUBLAS_DETERMINISTIC = ':4096:8'
ALLOW_CPU_ENV = 'MMDDARTS_ALLOW_CPU'


def visible_nvidia_gpus(smi: str = 'nvidia-smi'):
    """(names, driver version) of the GPUs ``nvidia-smi`` lists; ``([],
    None)`` without the tool or when it fails (no driver loaded)."""
    exe = shutil.which(smi)
    if exe is None:
        return [], None
    try:
        out = subprocess.run(
            [exe, '--query-gpu=name,driver_version',
             '--format=csv,noheader'], capture_output=True, text=True,
            timeout=20)
    except (OSError, subprocess.SubprocessError):
        return [], None
    if out.returncode != 0:
        return [], None
    rows = [r.split(',') for r in out.stdout.strip().splitlines() if r]
    names = [r[0].strip() for r in rows]
    driver = rows[0][1].strip() if rows and len(rows[0]) > 1 else None
    return names, driver


def gpus_hidden_on_purpose(env=None) -> bool:
    env = os.environ if env is None else env
    return env.get('CUDA_VISIBLE_DEVICES', None) in ('', '-1')


def check_torch_sees_gpus(env=None, smi: str = 'nvidia-smi'):
    """Raise ``SystemExit`` when the driver shows GPUs that torch cannot
    use. ``CUDA_VISIBLE_DEVICES=''`` (GPUs hidden on purpose) or
    ``MMDDARTS_ALLOW_CPU=1`` skip the check."""
    env = os.environ if env is None else env
    if env.get(ALLOW_CPU_ENV) == '1' or gpus_hidden_on_purpose(env):
        return
    names, driver = visible_nvidia_gpus(smi)
    if not names or torch.cuda.is_available():
        return
    built = torch.version.cuda
    cause = ('this torch is a CPU-only build: install a CUDA build '
             '(TORCH_INDEX_URL=https://download.pytorch.org/whl/cuXXX bash '
             'tools/setup_env.sh)' if built is None else
             f'this torch was built for CUDA {built}, which driver {driver} '
             'probably does not support (CUDA 13 needs driver >= 580, CUDA '
             '12.x >= 525): update the driver or install a torch built for '
             'an older CUDA (see docs/gpu.md)')
    raise SystemExit(
        f'Error: nvidia-smi lists {len(names)} GPU(s) ({", ".join(names)}; '
        f'driver {driver}) but torch {torch.__version__} cannot use them '
        f'(torch.cuda.is_available() is False), so the run would go to the '
        f'CPU. Likely cause: {cause}. To run on the CPU anyway set '
        f'{ALLOW_CPU_ENV}=1 or CUDA_VISIBLE_DEVICES="".')


def prepare_deterministic(cfg, env=None) -> bool:
    """Export what cuBLAS needs for ``randomness.deterministic=True``
    (before any CUDA work). Returns whether the config asks for it."""
    env = os.environ if env is None else env
    randomness = cfg.get('randomness', None) or {}
    if not randomness.get('deterministic', False):
        return False
    env.setdefault('CUBLAS_WORKSPACE_CONFIG', CUBLAS_DETERMINISTIC)
    return True
