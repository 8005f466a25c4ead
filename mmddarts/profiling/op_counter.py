"""Count the aten ops and host synchronisations a piece of code launches.

A search iteration on a GPU is bound by kernel launches, not arithmetic, so
the number of aten *compute* ops it dispatches is the quantity to drive
down. :class:`OpCounter` is a ``TorchDispatchMode``: it sees every aten op
below autograd (forward, backward and optimizer alike) and counts

- **compute ops**: every op except views (``aten.view``, ``slice``,
  ``expand``, ``t``, ... - they launch no kernel), uninitialised
  allocations (``aten.empty*``) and the no-op metadata queries listed in
  :data:`FREE_OPS`;
- **host syncs**: ops that make the host wait for the device on a GPU:
  ``_local_scalar_dense`` (``.item()``, ``float(t)``, ``bool(t)``,
  ``int(t)``), ``aten.equal``, ``aten.nonzero`` / ``masked_select`` /
  ``unique`` (data-dependent output shapes), and device-to-host copies.
  On a CPU-only run every tensor is a host tensor, so the scalar reads are
  counted wherever they happen, except those inside :func:`host_side` and,
  with ``track_host=True``, those of tensors a GPU run would also keep on
  the host (:mod:`mmddarts.profiling.host_tensors`: torch.optim's ``step``
  counters, a seed drawn from the CPU RNG): those are ``host_reads``.

The counts of a search step do not depend on batch size or width: tools
may measure them on a tiny supernet (``tools/analysis_tools/
count_step_ops.py``; only mmengine's per-image preprocessing grows with the
batch).

Phases: ``with counter.phase('arch_step'): ...`` labels everything counted
inside (until the block ends; the innermost label wins); ``by_phase`` and
``syncs_by_phase`` map each label to a Counter, ops and syncs outside any
phase go to :data:`DEFAULT_PHASE`.
"""
import os.path as osp
import sys
from collections import Counter, defaultdict
from contextlib import contextmanager

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from .host_tensors import HostTensors, tensors_in

# No kernel: shape / metadata queries and explicit no-ops.
FREE_OPS = frozenset({
    'aten.detach', 'aten.alias', 'aten.lift_fresh', 'aten.sym_size',
    'aten.sym_stride', 'aten.sym_numel', 'aten.sym_storage_offset',
    'aten.is_same_size', 'aten._has_compatible_shallow_copy_type',
    'aten.set_', 'aten._version', 'prim.device', 'aten.is_contiguous',
    # allocations launch no kernel (a fill such as aten.zeros does)
    'aten.empty', 'aten.empty_like', 'aten.empty_strided', 'aten.new_empty',
    'aten.new_empty_strided',
    # profiler markers (torch.optim's step, record_function): host-only
    'aten.profiler._record_function_enter',
    'aten.profiler._record_function_enter_new',
    'aten.profiler._record_function_exit',
})
SCALAR_READS = frozenset({'aten._local_scalar_dense', 'aten.item'})
SHAPE_SYNCS = frozenset({
    'aten.equal', 'aten.nonzero', 'aten.masked_select', 'aten._unique2',
    'aten.unique_dim', 'aten.unique_consecutive', 'aten.nonzero_static',
    'aten.is_nonzero',
})

_HOST_DEPTH = [0]
DEFAULT_PHASE = 'other'


@contextmanager
def host_side():
    """Ops inside run on host-only tensors (CPU RNG seeds, CPU counters):
    their scalar reads are not device syncs even when counting on CPU."""
    _HOST_DEPTH[0] += 1
    try:
        yield
    finally:
        _HOST_DEPTH[0] -= 1


def _op_name(func):
    # 'aten.mul.Tensor' -> 'aten.mul'
    name = str(func.overloadpacket) if hasattr(func, 'overloadpacket') \
        else str(func)
    return name if name.startswith(('aten.', 'prim.')) else 'aten.' + name


def _is_view(func):
    schema = getattr(func, '_schema', None)
    if schema is None:
        return False
    # a view returns an alias of an input without writing to it
    rets = schema.returns
    return bool(rets) and all(
        r.alias_info is not None and not r.alias_info.is_write for r in rets)


_KINDS = {}  # op overload -> (name, counted as compute op)


def _kind(func):
    kind = _KINDS.get(func)
    if kind is None:
        name = _op_name(func)
        kind = _KINDS[func] = (name, not (
            _is_view(func) or name in FREE_OPS or name in SCALAR_READS))
    return kind


_SKIP_DIRS = (osp.dirname(torch.__file__) + osp.sep,
              osp.dirname(osp.abspath(__file__)) + osp.sep)
_CONTEXTLIB = sys.modules[contextmanager.__module__].__file__
_REPO = osp.dirname(osp.dirname(_SKIP_DIRS[1].rstrip(osp.sep))) + osp.sep


def _sync_site():
    """'path:line (function)' of the innermost caller outside torch and
    this package's utils: the line that asked for the host value."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if not (path.startswith(_SKIP_DIRS) or path == _CONTEXTLIB):
            short = path.split('site-packages' + osp.sep)[-1]
            if short.startswith(_REPO):
                short = short[len(_REPO):]
            return f'{short}:{frame.f_lineno} ({frame.f_code.co_name})'
        frame = frame.f_back
    return '?'


def _dev(t):
    return t.device.type if isinstance(t, torch.Tensor) else None


class OpCounter(TorchDispatchMode):
    """``with OpCounter() as c: ...`` then ``c.ops``, ``c.syncs``,
    ``c.by_name`` (Counter of compute ops) and ``c.sync_names``; per phase
    (:meth:`phase`): ``c.by_phase`` and ``c.syncs_by_phase``. With
    ``trace_syncs=True``, ``c.sync_sites`` counts the source lines (outside
    torch) that caused each host sync. With ``track_host=True``, scalar
    reads of host-resident tensors are ``c.host_reads``, not syncs."""

    def __init__(self, trace_syncs=False, track_host=False):
        super().__init__()
        self.trace_syncs = trace_syncs
        self.sync_sites = Counter()
        self.host = HostTensors() if track_host else None
        self.host_reads = Counter()
        self.host_read_sites = Counter()
        self.by_name = Counter()
        self.sync_names = Counter()
        self.by_phase = defaultdict(Counter)
        self.syncs_by_phase = defaultdict(Counter)
        self._phase = DEFAULT_PHASE

    @contextmanager
    def phase(self, name):
        """Count what runs inside under the label ``name``."""
        outer, self._phase = self._phase, name
        try:
            yield self
        finally:
            self._phase = outer

    def _sync(self, name):
        self.sync_names[name] += 1
        self.syncs_by_phase[self._phase][name] += 1
        if self.trace_syncs:
            self.sync_sites[_sync_site()] += 1

    @property
    def ops(self):
        return sum(self.by_name.values())

    @property
    def syncs(self):
        return sum(self.sync_names.values())

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name, counted = _kind(func)
        if name in SCALAR_READS or name in SHAPE_SYNCS:
            if _HOST_DEPTH[0] or self._on_host(args, kwargs):
                self.host_reads[name] += 1
                if self.trace_syncs:
                    self.host_read_sites[_sync_site()] += 1
            else:
                self._sync(name)
        elif name in ('aten._to_copy', 'aten.copy_'):
            src = args[1] if name == 'aten.copy_' else args[0]
            dst = (_dev(args[0]) if name == 'aten.copy_' else
                   getattr(kwargs.get('device'), 'type', kwargs.get(
                       'device')))
            if _dev(src) not in (None, 'cpu') and dst == 'cpu':
                self._sync('device_to_host')
        out = func(*args, **kwargs)
        if self.host is not None:
            self.host.record(func, name, args, kwargs, out)
        if counted:
            self.by_name[name] += 1
            self.by_phase[self._phase][name] += 1
        return out

    def _on_host(self, args, kwargs):
        if self.host is None:
            return False
        ts = list(tensors_in((*args, *kwargs.values())))
        return bool(ts) and all(self.host.is_host(t) for t in ts)

    def reset(self):
        """Zero the counts (host tracking is kept: count after a tracked
        warm-up)."""
        for c in (self.sync_sites, self.by_name, self.sync_names,
                  self.by_phase, self.syncs_by_phase, self.host_reads,
                  self.host_read_sites):
            c.clear()

    def top(self, n=15):
        return self.by_name.most_common(n)
