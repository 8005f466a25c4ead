"""Turn an out-of-memory error in the middle of training into a report.

``with oom_guard(runner, config_path): runner.train()`` catches a CUDA
out-of-memory error (``torch.OutOfMemoryError``, or a ``RuntimeError``
saying so), a CPU allocator failure, or Python's ``MemoryError`` raised by
the step, and exits with: where it happened (epoch, iteration in the epoch,
global iteration), the same ordered fixes as the preflight check, and the
last checkpoint to ``--resume`` from. Checkpoints are only written by
``CheckpointHook`` at epoch ends, which an error inside a step never
reaches, so the last one stays as it was.

(The kernel's out-of-memory killer, which ends a CPU process with SIGKILL,
cannot be caught by the process; the preflight check is the defence there.)
"""
import os.path as osp
from contextlib import contextmanager

from .advice import format_fixes, memory_fixes
from .estimate import search_batch_size, uses_amp

_OOM_TEXTS = ('out of memory', "can't allocate memory",
              'cannot allocate memory')


def is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    try:
        import torch
        oom = getattr(torch, 'OutOfMemoryError', None) or \
            torch.cuda.OutOfMemoryError
        if isinstance(exc, oom):
            return True
    except ImportError:
        pass
    return isinstance(exc, RuntimeError) and \
        any(t in str(exc).lower() for t in _OOM_TEXTS)


def _last_checkpoint(work_dir):
    path = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(path):
        with open(path) as f:
            return f.read().strip() or None
    return None


def oom_report(runner, exc, config_path=None) -> str:
    cfg = runner.cfg
    loop = getattr(runner, 'train_loop', None)
    try:
        per_epoch = len(loop.dataloader)
    except (TypeError, AttributeError):
        per_epoch = None
    it = runner.iter  # iterations completed before the failing one
    where = f'global iteration {it + 1}'
    if per_epoch:
        where = (f'epoch {runner.epoch + 1}, iteration {it % per_epoch + 1}'
                 f'/{per_epoch} ({where})')
    import torch
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    try:
        batch = search_batch_size(cfg)
    except (ValueError, AttributeError, KeyError):
        batch = None
    fixes = memory_fixes(cfg, device, uses_amp(cfg), batch)
    first = (str(exc).strip().splitlines() or [''])[0][:300]
    ckpt = _last_checkpoint(runner.work_dir)
    cmd = f'python tools/train.py {config_path or "CONFIG"} --work-dir ' \
        f'{runner.work_dir} --resume'
    resume = (f'The last checkpoint, {ckpt}, is intact: after a fix, '
              f'continue with\n  {cmd}' if ckpt else
              'No checkpoint was written yet (the first epoch did not '
              'finish): after a fix, start again.')
    return (f'Out of memory at {where}, batch {batch}: '
            f'{type(exc).__name__}: {first}\n'
            f'Fixes, in order:\n{format_fixes(fixes)}\n{resume}')


@contextmanager
def oom_guard(runner, config_path=None):
    try:
        yield
    except Exception as exc:
        if not is_out_of_memory(exc):
            raise
        exc.__traceback__ = None  # free the step's tensors before reporting
        msg = oom_report(runner, exc, config_path)
        try:  # the log file and the console
            runner.logger.error(msg)
        except Exception:  # noqa: BLE001 - the report matters more
            print(msg)
        raise SystemExit(1) from None
