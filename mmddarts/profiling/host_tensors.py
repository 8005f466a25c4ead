"""Which CPU tensors would stay on the host in a GPU run.

:class:`mmddarts.profiling.op_counter.OpCounter` counts a scalar read
(``.item()``, ``float(t)``, ``bool(t)``) as a host sync only when the tensor
lives on the device. On a GPU that is the tensor's device. On a CPU-only run
every tensor is a CPU tensor, so :class:`HostTensors` follows the ops as
they are dispatched and keeps the set of tensors a GPU run would also keep
on the host:

- outputs of factory ops (``zeros``, ``full``, ``randint``; ``torch.tensor``,
  ``torch.Tensor(list)``, ``as_tensor``, ``from_numpy`` reach aten as
  ``lift_fresh``) made on the CPU, e.g. torch.optim's per-parameter
  ``step`` counters, a seed drawn from the CPU RNG, mmengine's image-size
  table in ``stack_batch``;
- outputs of ops whose tensor inputs are all host tensors (``step += 1``).

Anything computed from another tensor (a parameter, a buffer, an input, a
tensor made before tracking started unless declared with :meth:`mark` /
:meth:`HostTensors.mark_optimizer_steps`) is a device tensor, and so is
every tensor an op writes into from one. Blind spot: on a CPU-only run a
factory with ``device=x.device`` is taken for a host tensor (the device
argument reaches aten as ``cpu`` either way), so a read of such a tensor
that no device data ever flowed into is not counted; such reads are listed
as host reads, not dropped. Once a non-CPU tensor is seen (a GPU run) every
CPU tensor is a host tensor, as it is there.
"""
import weakref

import torch

# ops that wrap a tensor made outside the dispatcher (torch.tensor(...))
LIFTS = frozenset({'aten.lift_fresh', 'aten.lift_fresh_copy', 'aten.lift'})

_WRITTEN = {}  # op overload -> (positional indices, names) of written args


def tensors_in(values):
    """The tensors among ``values`` and in their lists/tuples (aten
    arguments nest one level: ``Tensor[]``, ``Tensor?[]``)."""
    for v in values:
        if isinstance(v, torch.Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            for t in v:
                if isinstance(t, torch.Tensor):
                    yield t


def _written_args(func, args, kwargs):
    spec = _WRITTEN.get(func)
    if spec is None:
        schema = getattr(func, '_schema', None)
        written = [(i, arg.name)
                   for i, arg in enumerate(schema.arguments if schema else ())
                   if arg.alias_info is not None and arg.alias_info.is_write]
        spec = _WRITTEN[func] = (tuple(i for i, _ in written),
                                 tuple(n for _, n in written))
    indices, names = spec
    if not indices:
        return ()
    return tensors_in([args[i] for i in indices if i < len(args)] +
                      [kwargs[n] for n in names if n in kwargs])


class HostTensors:
    """``record(func, name, args, kwargs, out)`` after each op;
    ``is_host(t)``: would ``t`` be a host tensor in a GPU run."""

    def __init__(self):
        # id -> weak reference whose callback drops the id when the tensor
        # dies (before the id can be reused): a cheap membership test
        self._host = {}
        self.accelerator = False

    def is_host(self, t):
        if not t.is_cpu:
            self.accelerator = True
            return False
        return self.accelerator or id(t) in self._host

    def mark(self, t):
        """Declare a CPU tensor made before tracking a host tensor."""
        key = id(t)
        if t.is_cpu and key not in self._host:
            self._host[key] = weakref.ref(
                t, lambda _, key=key, host=self._host: host.pop(key, None))

    def mark_optimizer_steps(self, optimizers):
        """torch.optim keeps each parameter's ``state['step']`` on the CPU
        (unless ``capturable``/``fused``, then on the parameter's device):
        mark those of optimizers stepped before tracking started."""
        for opt in optimizers:
            for state in opt.state.values():
                step = state.get('step')
                if isinstance(step, torch.Tensor):
                    self.mark(step)

    def record(self, func, name, args, kwargs, out):
        host = True
        if name not in LIFTS:
            for t in tensors_in(args if not kwargs else
                                (*args, *kwargs.values())):
                if not self.is_host(t):
                    host = False
                    break
        if host:
            for o in tensors_in((out, )):
                self.mark(o)
        else:
            # new outputs are in no set; in-place ops return what they wrote
            for t in _written_args(func, args, kwargs):
                self._host.pop(id(t), None)
