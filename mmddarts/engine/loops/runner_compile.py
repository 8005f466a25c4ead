"""mmengine's ``compile`` config (``cfg.compile`` / ``Runner(compile=...)``)
on a search: compile the supernet's cells instead of ``train_step``.

``Runner.train`` wraps the whole ``model.train_step`` in ``torch.compile``
before the loop runs. A search step is mostly Python around the cells
(``autograd.grad`` per ablation, the ablation guard, two optimizer steps, a
``torch.Generator``): dynamo would cut it into many graphs and recompile
them as the step's Python state changes, for no gain over compiling the
cells. :class:`SearchEpochBasedTrainLoop` therefore calls
:func:`adopt_runner_compile` first: it restores the eager ``train_step`` and
compiles the cells with the same options, as
``model.architecture.compile`` would. Setting both is an error.
"""
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmddarts.models.search.compile_cells import compile_cells, \
    compile_options

CFG_KEY = 'compile'


def adopt_runner_compile(runner):
    """Move ``runner.cfg.compile`` from ``train_step`` to the cells of the
    search model; returns the ``torch.compile`` kwargs, or ``None`` when the
    config does not compile."""
    cfg = getattr(runner, 'cfg', None) or {}
    where = f'{CFG_KEY} (the runner config)'
    options = compile_options(cfg.get(CFG_KEY, None), where)
    if options is None:
        return None
    model = runner.model
    search = model.module if is_model_wrapper(model) else model
    cells = getattr(getattr(search, 'architecture', None), 'cells', None)
    if cells is None:
        raise TypeError(
            f'{where}: the search loop compiles the cells of '
            f'model.architecture, but {type(search).__name__} has no '
            "architecture.cells; drop cfg.compile")
    if getattr(search, 'compile_options', None) is not None:
        raise ValueError(
            f'{where} and model.architecture.compile are both set; keep '
            'one (model.architecture.compile is the documented option)')
    for m in (model, search):  # undo Runner._maybe_compile('train_step')
        if 'train_step' in vars(m):
            del m.train_step
    search.compile_options = compile_cells(cells, options, where)
    print_log(f'{where}: compiled the {len(cells)} supernet cells with '
              f'torch.compile({options}); train_step stays eager',
              logger='current')
    return options
