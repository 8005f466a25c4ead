"""``torch.compile`` for the cells of a supernet or a derived network.

Only the cells are compiled (``nn.Module.compile`` on each cell: the module
stays where it is, so state dict keys, hooks and the optimizers' parameters
are unchanged). Everything around them (the architecture step's
``autograd.grad`` calls, the ablation bookkeeping, the optimizer steps) stays
eager: those hold Python logic that dynamo would split into many graphs.

The option is ``compile`` in the supernet / backbone config:

- ``False`` / ``None``: eager (the default);
- ``True``: ``torch.compile`` with its defaults (inductor);
- a dict: keyword arguments of ``torch.compile`` (``backend``, ``mode``,
  ``dynamic``, ``fullgraph``, ``options``, ``disable``), e.g.
  ``dict(mode='reduce-overhead')`` for CUDA graphs on a GPU.

All cells of one class share one code object (``SearchCell.forward``), and
dynamo's cache holds at most ``torch._dynamo.config.recompile_limit`` (8)
compiled variants per code object; beyond that it silently runs the frame
eagerly. A supernet needs one variant per distinct cell layout (input /
output channels, reduction) and per call mode (full pass with grad, ablation
passes with frozen BN statistics, without grad in ``'reference'`` mode,
validation in eval mode, other batch sizes), so :func:`compile_cells` raises
that limit to :data:`VARIANTS_PER_CELL` times the number of cells.
"""
import inspect

import torch

# compiled variants a cell may need (see the module docstring), with room
VARIANTS_PER_CELL = 16
_COMPILE_KWARGS = tuple(
    name for name in inspect.signature(torch.compile).parameters
    if name != 'model')


def compile_options(value, where='compile'):
    """``None`` (eager) or the ``torch.compile`` kwargs of a ``compile``
    config value (bool, ``None`` or dict); ``where`` names the config key in
    errors."""
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(_COMPILE_KWARGS))
        if unknown:
            raise ValueError(
                f'{where}: unknown torch.compile argument(s) {unknown}; '
                f'expected some of {list(_COMPILE_KWARGS)}')
        if value.get('disable', False):
            return None
        return dict(value)
    raise TypeError(f'{where} must be a bool or a dict of torch.compile '
                    f'arguments, got {type(value).__name__} {value!r}')


def raise_recompile_limit(num_cells):
    """Let dynamo keep :data:`VARIANTS_PER_CELL` compiled variants per cell
    for ``num_cells`` cells sharing one forward (never lowers a limit)."""
    cfg = torch._dynamo.config
    need = VARIANTS_PER_CELL * max(int(num_cells), 1)
    cfg.recompile_limit = max(cfg.recompile_limit, need)
    cfg.accumulated_recompile_limit = max(cfg.accumulated_recompile_limit,
                                          4 * need)


def compile_cells(cells, value, where='compile'):
    """Compile every cell of ``cells`` (an iterable of modules) in place
    with the options of ``value`` (see :func:`compile_options`).

    Returns the ``torch.compile`` kwargs used, or ``None`` if ``value`` turns
    compilation off. ``copy.deepcopy`` / pickling a compiled cell gives an
    eager copy (torch drops the compiled call)."""
    options = compile_options(value, where)
    if options is None:
        return None
    cells = list(cells)
    if not cells:
        raise ValueError(f'{where}: the model has no cells to compile')
    for cell in cells:
        cell.compile(**options)
    raise_recompile_limit(len(cells))
    # The architecture step back-propagates parts of a graph more than once
    # (retain_graph: the op weights are shared by the ablation batch and the
    # full pass, the prefix by g and the ablation cotangents); AOT autograd's
    # donated buffers forbid that (process-wide, never turned back on).
    torch._functorch.config.donated_buffer = False
    return options


def is_compiled(module):
    """Whether ``nn.Module.compile`` was called on ``module``."""
    return getattr(module, '_compiled_call_impl', None) is not None
