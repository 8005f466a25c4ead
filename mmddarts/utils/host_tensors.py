"""Which CPU tensors would stay on the host in a GPU run.

:class:`mmddarts.utils.op_counter.OpCounter` counts a scalar read
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
tensor made before tracking started) is a device tensor, and so is every
tensor an op writes into from one. Blind spot: on a CPU-only run a
factory with ``device=x.device`` is taken for a host tensor (the device
argument reaches aten as ``cpu`` either way), so a read of such a tensor
that no device data ever flowed into is not counted; such reads are listed
as host reads, not dropped. Once a non-CPU tensor is seen (a GPU run) every
CPU tensor is a host tensor, as it is there.
"""
import torch
from torch.utils._pytree import arg_tree_leaves, tree_leaves
from torch.utils.weak import WeakIdKeyDictionary

# ops that wrap a tensor made outside the dispatcher (torch.tensor(...))
LIFTS = frozenset({'aten.lift_fresh', 'aten.lift_fresh_copy', 'aten.lift'})

_WRITTEN = {}  # op overload -> (positional indices, kwarg names) written


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
    found = [args[i] for i in indices if i < len(args)]
    found += [kwargs[n] for n in names if n in kwargs]
    return [t for t in tree_leaves(found) if isinstance(t, torch.Tensor)]


class HostTensors:
    """``record(func, name, args, kwargs, out)`` after each op;
    ``is_host(t)``: would ``t`` be a host tensor in a GPU run."""

    def __init__(self):
        self._host = WeakIdKeyDictionary()
        self.accelerator = False

    def is_host(self, t):
        if t.device.type != 'cpu':
            self.accelerator = True
            return False
        return self.accelerator or t in self._host

    def record(self, func, name, args, kwargs, out):
        inputs = [a for a in arg_tree_leaves(*args, **kwargs)
                  if isinstance(a, torch.Tensor)]
        outs = [o for o in tree_leaves(out) if isinstance(o, torch.Tensor)]
        if name in LIFTS or all(self.is_host(t) for t in inputs):
            for o in outs:
                if o.device.type == 'cpu':
                    self._host[o] = True
        else:
            for t in outs + _written_args(func, args, kwargs):
                self._host.pop(t, None)
