"""Toy models and counters of the torch.compile tests (not a test module).

The supernet and derived cells are built through ``DDartsSearch`` /
``DDartsNet``, so the tests exercise whatever ``SearchCell`` /
``DerivedCell`` the package has."""
import torch
from mmengine.optim import OptimWrapperDict
from torch._dynamo.backends.registry import lookup_backend

from mmddarts.engine.optimizers import SearchOptimWrapperConstructor
from mmddarts.models.algorithms import DDartsSearch
from mmddarts.testing.search_batch import make_batch

# 2 cells, the second a reduction cell: stride-2 edges and the
# FactorizedReduce skip are compiled too.
# compile is for GPUs: the ablations run as on one (one batch with the full
# network in it, checkpointed cells: the graphs a GPU run compiles)
TOY_NET = dict(type='mmddarts.DDartsSupernet', num_classes=3, channels=4,
               num_cells=2, steps=2, reductions=(1, ), in_channels=3,
               ablation_defaults='cuda')


class CountingBackend:
    """A ``torch.compile`` backend that counts the graphs it compiles and
    hands them to a real backend (``aot_eager`` keeps eager kernels, so
    results can be compared closely, and compiles fast)."""

    def __init__(self, backend='aot_eager'):
        self.backend = backend
        self.graphs = 0

    def __call__(self, gm, example_inputs):
        self.graphs += 1
        return lookup_backend(self.backend)(gm, example_inputs)


def make_search(compile=None, ablation='exact', seed=0, **net):
    torch.manual_seed(seed)
    arch = dict(TOY_NET, **net)
    if compile is not None:
        arch['compile'] = compile
    model = DDartsSearch(architecture=arch, arch_strategy=dict(
        type='mmddarts.LeaveOneOutArchStep', w01=7.0, w_abl=0.5,
        ablation=ablation))
    with torch.no_grad():
        for a in model.arch_parameters():
            a.normal_(0, 0.5)
    return model


def build_optim(model):
    ctor = SearchOptimWrapperConstructor(dict(
        architecture=dict(optimizer=dict(type='Adam', lr=3e-2,
                                         weight_decay=1e-3)),
        weights=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9,
                                    weight_decay=3e-4))))
    optim = ctor(model)
    assert isinstance(optim, OptimWrapperDict)
    return optim


def search_batches(iters, n=2, size=8):
    return [dict(weights=make_batch(2 * i, n, size),
                 arch=make_batch(2 * i + 1, n, size)) for i in range(iters)]


def run_search(model, batches, after_step=None):
    """``train_step`` over ``batches`` (the global RNG, which seeds the
    ablation draws, re-seeded per step); returns the float log values of
    every step. ``after_step(i)`` is called after step ``i``."""
    optim = build_optim(model)
    model.train()
    logs = []
    for i, data in enumerate(batches):
        torch.manual_seed(100 + i)
        out = model.train_step(data, optim)
        logs.append({k: float(v) for k, v in out.items()})
        if after_step is not None:
            after_step(i)
    return logs
