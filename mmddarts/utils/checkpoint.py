"""Local checkpoint loading that works on torch >= 2.6 with mmengine 0.10.x.

torch >= 2.6 defaults ``torch.load(weights_only=True)``. mmengine 0.10.7's
local loader does not pass ``weights_only``, so loading an mmengine
checkpoint (``--resume``, ``load_from``, ``init_cfg=dict(type='Pretrained')``)
fails with ``UnpicklingError ... HistoryBuffer``: the message hub stored in
the checkpoint holds mmengine's ``HistoryBuffer`` objects and numpy arrays.

:func:`register_checkpoint_loader` replaces mmengine's loader for local paths
(prefix ``''``) with :func:`load_from_local_allowlisted`, which keeps
``weights_only=True`` and allows exactly the classes mmengine itself puts in a
checkpoint (``HistoryBuffer``, numpy arrays, dtypes and scalars). Anything
else is still refused, because unpickling arbitrary globals can execute code.

Files that need more (e.g. checkpoints pickling custom objects) are loaded
with ``weights_only=False`` only if the user marks them as trusted, either in
code with :func:`trust_checkpoint` or by listing files or folders in the
environment variable ``MMDDARTS_TRUSTED_CHECKPOINTS`` (``os.pathsep``
separated, e.g. ``export MMDDARTS_TRUSTED_CHECKPOINTS=work_dirs``).
"""
import os
import os.path as osp
import pickle
from typing import List, Optional, Set

import numpy as np
import torch

TRUSTED_ENV = 'MMDDARTS_TRUSTED_CHECKPOINTS'
_trusted_paths: Set[str] = set()


def trust_checkpoint(path: str) -> None:
    """Allow a file, or every file under a folder, to be fully unpickled."""
    _trusted_paths.add(osp.realpath(osp.expanduser(path)))


def is_trusted(filename: str) -> bool:
    """Whether ``filename`` was marked with :func:`trust_checkpoint` or the
    ``MMDDARTS_TRUSTED_CHECKPOINTS`` environment variable."""
    real = osp.realpath(osp.expanduser(filename))
    env = [
        osp.realpath(osp.expanduser(p))
        for p in os.environ.get(TRUSTED_ENV, '').split(os.pathsep) if p
    ]
    for root in _trusted_paths.union(env):
        if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


def _numpy_globals() -> list:
    """numpy's array/dtype/scalar pickling hooks under both module names
    (``numpy.core`` in files written with numpy 1.x, ``numpy._core`` 2.x)."""
    core = getattr(np, '_core', None) or np.core
    items: list = [np.ndarray, np.dtype]
    for fn in (core.multiarray._reconstruct, core.multiarray.scalar):
        for mod in ('numpy.core.multiarray', 'numpy._core.multiarray'):
            items.append((fn, f'{mod}.{fn.__name__}'))
    for name in ('bool_', 'int8', 'int16', 'int32', 'int64', 'uint8',
                 'uint16', 'uint32', 'uint64', 'float16', 'float32',
                 'float64', 'complex64', 'complex128', 'str_', 'bytes_'):
        items.append(type(np.dtype(getattr(np, name))))
    return items


def _history_buffer_getattr(obj, name: str):
    """Stands in for ``getattr`` while unpickling.

    ``HistoryBuffer.__getstate__`` stores its statistics methods (``min``,
    ``max``, ``mean``, ``current``), which pickle as
    ``getattr(HistoryBuffer, 'min')``. Allowing the real ``getattr`` would
    open every attribute of every allowed class to the file; this one only
    returns plain methods defined on ``HistoryBuffer`` itself.
    """
    from mmengine.logging import HistoryBuffer
    if (obj is HistoryBuffer and not name.startswith('_')
            and callable(vars(HistoryBuffer).get(name))):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def mmengine_safe_globals() -> List:
    """The non-tensor classes that an mmengine Runner checkpoint contains."""
    from mmengine.logging import HistoryBuffer
    return [
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        (_history_buffer_getattr, '__builtin__.getattr'),
        # An empty numpy buffer (a HistoryBuffer before its first update)
        # pickles its data as bytes(); constructing bytes runs nothing.
        (bytes, 'builtins.bytes'),
        (bytes, '__builtin__.bytes'),
    ] + _numpy_globals()


def load_from_local_allowlisted(filename: str,
                                map_location: Optional[str] = None):
    """Load a local checkpoint with ``weights_only=True`` plus an allowlist.

    Trusted files (see module docs) that need other globals fall back to
    ``weights_only=False``; untrusted ones raise with the reason and the fix.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    if not hasattr(torch.serialization, 'safe_globals'):  # torch < 2.4
        return torch.load(filename, map_location=map_location)
    try:
        with torch.serialization.safe_globals(mmengine_safe_globals()):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if is_trusted(filename):
            return torch.load(
                filename, map_location=map_location, weights_only=False)
        raise pickle.UnpicklingError(
            f'Refused to load checkpoint {filename}: it pickles objects '
            'outside the allowlist of mmengine checkpoint classes, and '
            'unpickling untrusted objects can run arbitrary code. If you '
            'trust this file, call mmddarts.utils.trust_checkpoint(path) or '
            f'add it (or its folder) to ${TRUSTED_ENV}. torch said: '
            f'{err}') from err


def register_checkpoint_loader() -> None:
    """Make mmengine load local checkpoints with the allowlisted loader."""
    from mmengine.runner import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_allowlisted, force=True)
