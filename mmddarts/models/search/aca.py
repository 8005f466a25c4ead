"""ACA after the search: rank each kept edge's channels on the trained
supernet and allocate them between the op and identity (docs/aca.md).

Measures (``ACA_IMPORTANCE``), for the op ``o`` a genotype keeps on an edge,
``a = w_o * o(x)`` its contribution to the node (``w_o`` its mixing weight):

- ``output`` (default): ``E |a[n, c, h, w]|`` over the calibration images
  ``n`` and positions ``h, w``;
- ``taylor``: first-order Taylor (Molchanov et al.), ``E_n |sum_{h,w}
  a[n,c,h,w] * dL / da[n,c,h,w]|`` with ``L = sum_n l_n`` the batch's
  summed cross-entropy (a sum, so the score does not scale with the batch
  size);
- ``bn_gamma``: ``|gamma_c|`` of the op's last BatchNorm (no data). Search
  cells build affine-free BNs, so this needs a supernet searched with
  learnable ones (``op_affine=True``); otherwise it is refused.

Calibration (:func:`channel_scores`) runs the supernet edge by edge
(:func:`traced_forward`) in TRAIN-mode BatchNorm, i.e. on batch statistics
as the search itself computed every contribution, and restores every
buffer (running statistics, counters) and mode afterwards: no weight, no
alpha, no BN statistic, no ``.grad`` changes. The global RNGs are forked
and seeded, so it is reproducible and leaves the caller's streams alone.
"""
import torch
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm

from mmddarts.registry import ACA_ALLOCATORS, ACA_IMPORTANCE
from mmddarts.structures.channel_allocators import (FixedRatioAllocator,
                                                    OtsuAllocator,
                                                    ProportionalAllocator,
                                                    pool_scores)
from mmddarts.structures.op_sets import NONE_OP

ACA_ALLOCATORS.register_module('otsu', module=OtsuAllocator)
ACA_ALLOCATORS.register_module('proportional', module=ProportionalAllocator)
ACA_ALLOCATORS.register_module('fixed_ratio', module=FixedRatioAllocator)


def edge_index(to, src):
    """Row of edge ``src -> to`` in a search cell's ``[edges, ops]``."""
    return sum(2 + i for i in range(to - 2)) + src


def kept_edges(supernet, genotype):
    """``{cell: [(gene edge, supernet edge, op column), ...]}`` of every
    edge the genotype keeps; an op the supernet lacks is an error."""
    if genotype.num_cells != supernet.num_cells:
        raise ValueError(f'ACA: the genotype has {genotype.num_cells} cells, '
                         f'the supernet {supernet.num_cells}')
    out = {}
    for k in range(supernet.num_cells):
        rows = []
        for e, (op, to, src) in enumerate(genotype.gene(k)):
            if op not in supernet.op_names:
                raise ValueError(
                    f'ACA: cell {k}, edge {e} {(op, to, src)!r}: op {op!r} '
                    f'is not in the supernet ({list(supernet.op_names)})')
            rows.append((e, edge_index(to, src),
                         supernet.op_names.index(op)))
        out[k] = rows
    return out


def traced_forward(supernet, x, wanted):
    """Logits of ``supernet(x)`` computed edge by edge (DARTS' plain
    ``sum_k w_k op_k(h)``), and ``{(cell, supernet edge): w_o * o(h)}`` for
    every ``(edge, column)`` in ``wanted[cell]``."""
    weights = supernet.position_weights()
    s0 = s1 = supernet.stem_forward(x)
    record = {}
    for k, cell in enumerate(supernet.cells):
        want = {(e, col) for _, e, col in wanted.get(k, ())}
        states = [cell.preprocess0(s0), cell.preprocess1(s1)]
        offset = 0
        for _ in range(cell.steps):
            node = 0
            for j, h in enumerate(states):
                e = offset + j
                edge = cell.edges[e]
                for col, op in zip(edge.columns, edge.ops):
                    y = weights[k][e, col] * op(h)
                    if (e, col) in want:
                        record[(k, e)] = y
                    node = node + y
            offset += len(states)
            states.append(node)
        s0, s1 = s1, torch.cat(states[2:], dim=1)
    return supernet.head_forward(s1), record


class _DataMeasure:
    """Accumulates per-channel float64 sums of a measure over batches."""
    needs_data = True
    needs_grad = False

    def __init__(self):
        self.sums, self.counts = {}, {}

    def _add(self, key, per_channel, count):
        prev = self.sums.get(key)
        self.sums[key] = per_channel if prev is None else prev + per_channel
        self.counts[key] = self.counts.get(key, 0) + count

    def scores(self, key, module=None):
        return (self.sums[key] / self.counts[key]).tolist()


@ACA_IMPORTANCE.register_module('output')
class OutputImportance(_DataMeasure):
    """``E |w_o * o(x)[c]|`` (module doc)."""

    def update(self, key, a, grad=None):
        a = a.detach().double()
        self._add(key, a.abs().sum(dim=(0, 2, 3)),
                  a.shape[0] * a.shape[2] * a.shape[3])


@ACA_IMPORTANCE.register_module('taylor')
class TaylorImportance(_DataMeasure):
    """``E_n |sum_{h,w} a * dL / da|``, ``L`` the summed loss (module
    doc)."""
    needs_grad = True

    def update(self, key, a, grad):
        # grad is of the batch MEAN loss: times B, of the summed one
        t = (a.detach().double() * grad.double() * a.shape[0]).sum(
            dim=(2, 3))
        self._add(key, t.abs().sum(dim=0), a.shape[0])


def last_bn(module):
    """The last BatchNorm inside ``module`` (its output BN), or None."""
    bns = [m for m in module.modules() if isinstance(m, _BatchNorm)]
    return bns[-1] if bns else None


@ACA_IMPORTANCE.register_module('bn_gamma')
class BNGammaImportance:
    """``|gamma_c|`` of the op's last BN (module doc)."""
    needs_data = False
    needs_grad = False

    def scores(self, key, module):
        bn = last_bn(module)
        if bn is None or bn.weight is None:
            raise ValueError(
                f'ACA bn_gamma: cell {key[0]}, supernet edge {key[1]}: the op '
                f'{type(module).__name__} has no affine BatchNorm at its end '
                '(search cells use affine-free BNs; search with '
                "model.architecture.op_affine=True, or use importance='output'"
                " or 'taylor')")
        return bn.weight.detach().double().abs().tolist()


def build_importance(cfg):
    """A measure from a name or ``dict(type=name, ...)``."""
    if isinstance(cfg, str):
        cfg = dict(type=cfg)
    return ACA_IMPORTANCE.build(cfg)


def build_allocator(cfg):
    """An allocator from a name or ``dict(type=name, ...)``."""
    if isinstance(cfg, str):
        cfg = dict(type=cfg)
    return ACA_ALLOCATORS.build(cfg)


def _module_for(supernet, k, e, col):
    edge = supernet.cells[k].edges[e]
    return edge.ops[edge.columns.index(col)]


class seeded_rngs:
    """Context: seeds python's, numpy's and torch's global RNGs with
    ``seed`` and restores their states on exit."""

    def __init__(self, seed):
        self.seed = seed

    def __enter__(self):
        import random

        import numpy as np
        self._rng = (random.getstate(), np.random.get_state(),
                     torch.get_rng_state())
        random.seed(self.seed)
        np.random.seed(self.seed)
        torch.manual_seed(self.seed)
        return self

    def __exit__(self, *exc):
        import random

        import numpy as np
        random.setstate(self._rng[0])
        np.random.set_state(self._rng[1])
        torch.set_rng_state(self._rng[2])
        return False


class frozen_state(seeded_rngs):
    """Context: also restores every buffer and the train/eval mode of every
    module of ``model`` on exit."""

    def __init__(self, model, seed):
        super().__init__(seed)
        self.model = model

    def __enter__(self):
        self._buffers = [(b, b.detach().clone())
                         for b in self.model.buffers()]
        self._modes = [(m, m.training) for m in self.model.modules()]
        return super().__enter__()

    def __exit__(self, *exc):
        with torch.no_grad():
            for b, saved in self._buffers:
                b.copy_(saved)
        for m, mode in self._modes:
            m.training = mode
        return super().__exit__(*exc)


def channel_scores(supernet, genotype, batches, importance='output',
                   seed=0):
    """Per-cell channel scores of every kept edge:
    ``{(cell, gene edge): [score per channel]}``.

    ``batches``: an iterable of ``(inputs, targets)`` (the calibration
    images; see the module doc for what is and is not changed)."""
    measure = build_importance(importance)
    edges = kept_edges(supernet, genotype)
    out = {}
    if not measure.needs_data:
        for k, rows in edges.items():
            for g_e, e, col in rows:
                out[(k, g_e)] = measure.scores(
                    (k, e), _module_for(supernet, k, e, col))
        return out
    n = 0
    with frozen_state(supernet, seed):
        supernet.train()  # batch statistics, as in the search
        for inputs, targets in batches:
            n += 1
            with torch.set_grad_enabled(measure.needs_grad):
                logits, rec = traced_forward(supernet, inputs, edges)
                keys = sorted(rec)
                grads = [None] * len(keys)
                if measure.needs_grad:
                    loss = F.cross_entropy(logits, targets)
                    # autograd.grad: no parameter's .grad is touched
                    grads = torch.autograd.grad(loss,
                                                [rec[q] for q in keys])
            for q, g in zip(keys, grads):
                measure.update(q, rec[q], g)
    if n == 0:
        raise ValueError('ACA: no calibration batch (empty data loader?)')
    for k, rows in edges.items():
        for g_e, e, _ in rows:
            out[(k, g_e)] = measure.scores((k, e))
    return out


def op_shares(supernet, genotype):
    """``{(cell, gene edge): w_o / sum_{non-none} w}`` of each kept edge."""
    edges = kept_edges(supernet, genotype)
    weights = [w.detach().double() for w in supernet.position_weights()]
    names = supernet.op_names
    keep = [i for i, n in enumerate(names) if n != NONE_OP]
    out = {}
    for k, rows in edges.items():
        for g_e, e, col in rows:
            row = weights[k][e]
            out[(k, g_e)] = float(row[col] / row[keep].sum())
    return out


def allocate(supernet, genotype, batches, importance='output',
             allocator='otsu', seed=0):
    """``genotype`` with ACA allocations for every kept edge.

    Cells sharing a gene (shared alphas) get one allocation: each cell's
    scores are divided by their mean, carried to the width of the gene's
    first cell (:func:`pool_scores`) and averaged; ``op_share`` likewise
    averaged (equal for shared alphas)."""
    if genotype.has_allocations:
        raise ValueError('ACA: the genotype already has allocations')
    alloc_fn = build_allocator(allocator)
    scores = channel_scores(supernet, genotype, batches, importance, seed)
    shares = op_shares(supernet, genotype)
    allocations = []
    for g, gene in enumerate(genotype.genes):
        cells = [k for k, s in enumerate(genotype.seq) if s == g]
        row = []
        for e in range(len(gene)):
            width = len(scores[(cells[0], e)])
            merged = [0.] * width
            for k in cells:
                s = scores[(k, e)]
                mean = sum(s) / len(s)
                s = [v / mean for v in s] if mean > 0 else s
                for c, v in enumerate(pool_scores(s, width)):
                    merged[c] += v / len(cells)
            share = sum(shares[(k, e)] for k in cells) / len(cells)
            where = (f'ACA gene {g} (cell(s) {cells}), edge {e} '
                     f'{tuple(gene[e])!r}')
            row.append(alloc_fn(merged, share, where=where))
        allocations.append(row)
    label = lambda c: c if isinstance(c, str) else dict(c)  # noqa: E731
    meta = dict(genotype.meta, aca=dict(
        importance=label(importance), allocator=label(allocator),
        seed=seed, search_widths=[
            len(scores[(next(k for k, s in enumerate(genotype.seq)
                             if s == g), 0)])
            for g in range(len(genotype.genes))]))
    return genotype.replace(allocations=allocations, meta=meta)


def identity_shares(genotype, channels):
    """Per cell of the network built at width ``channels``: the share of
    its edges' channels refilled with identity (0 without allocations)."""
    from mmddarts.structures.channel_allocation import identity_share
    out = []
    C = channels
    for k in range(genotype.num_cells):
        if genotype.is_reduction(k):
            C *= 2
        tot, ident = 0, 0.
        for e, (_, _, src) in enumerate(genotype.gene(k)):
            stride = 2 if genotype.is_reduction(k) and src < 2 else 1
            ident += identity_share(genotype.allocation(k, e), C, stride) * C
            tot += C
        out.append(ident / tot)
    return out


__all__ = ['traced_forward', 'channel_scores', 'allocate', 'op_shares',
           'kept_edges', 'build_importance', 'build_allocator',
           'identity_shares']
