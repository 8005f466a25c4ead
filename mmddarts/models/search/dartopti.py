"""DARTOpti: a search supernet that starts from a handcrafted network.

The handcrafted network (ResNet18, ResNet50, Xception, or any genotype the
user brings) fixes the layout of the supernet: its cell count, reduction
positions and steps. Its genes fix the starting point of the search: alpha
is ``init_high`` (10: sigmoid ~ 0.99995) on every ``(edge, op)`` of the gene
and ``init_low`` (0: sigmoid 0.5) everywhere else, so the supernet initially
computes the baseline plus every other op at half weight. Cells that share a
gene in the baseline (``seq``) share ONE alpha set (paper section 4.4 (ii));
their convolution weights stay per cell.

Parsing the fresh supernet reproduces the baseline exactly with the ``edge``
method (top-2 ops per edge >= T: every baseline edge carries at most two ops,
all other weights are 0.5 < T). ``sparse`` keeps one op per edge and two
edges per node, so it drops the second op of a two-op edge (ResNet50's
``bottleneck_1x3x1`` + ``skip_connect`` residuals collapse to the op with the
lower column index, ``skip_connect``) and the third and later incoming edges
of a node.
"""
import os.path as osp

import torch

from mmddarts.registry import MODELS
from mmddarts.structures.baselines import BASELINE_NAMES, get_baseline
from mmddarts.structures.parsing import edge_index
from mmddarts.structures.op_sets import NONE_OP, get_op_names
from mmddarts.structures.loading import genotype_from_any
from mmddarts.utils.deprecation import pop_renamed
from .supernet import DDartsSupernet


def load_baseline(baseline):
    """A baseline name (``'resnet18'``, ``'resnet50'``, ``'xception'``), a
    genotype file (JSON or legacy), a dict or a :class:`Genotype`."""
    if isinstance(baseline, str) and not osp.exists(baseline):
        if baseline.lower() in BASELINE_NAMES:
            return get_baseline(baseline)
        if not baseline.endswith(('.json', '.txt', '.py')):
            raise KeyError(
                f'DARTOptiSupernet: unknown baseline {baseline!r}: not one of '
                f'{", ".join(BASELINE_NAMES)} nor an existing genotype file')
    try:
        return genotype_from_any(baseline).require_plain(
            'DARTOptiSupernet (a baseline genotype)')
    except (TypeError, ValueError, FileNotFoundError, OSError) as err:
        raise type(err)(f'DARTOptiSupernet: baseline {baseline!r}: {err}') \
            from None


def baseline_alphas(genotype, op_names, init_high=10.0, init_low=0.0):
    """One ``[edges, ops]`` alpha per gene: ``init_high`` on the gene's
    ``(edge, op)`` pairs, ``init_low`` elsewhere (``'none'`` included)."""
    steps = genotype.steps
    rows = sum(2 + i for i in range(steps))
    col = {name: k for k, name in enumerate(op_names)}
    alphas = []
    for g, gene in enumerate(genotype.genes):
        a = torch.full((rows, len(op_names)), float(init_low))
        for e, (op, to, src) in enumerate(gene):
            if op not in col:
                raise ValueError(
                    f'DARTOptiSupernet: gene {g} (cells '
                    f'{[k for k, s in enumerate(genotype.seq) if s == g]}), '
                    f'edge {e} {(op, to, src)!r}: op {op!r} is not in the '
                    f'search space {list(op_names)}; use op_set='
                    "'extended'")
            a[edge_index(to, src), col[op]] = float(init_high)
        alphas.append(a)
    return alphas


@MODELS.register_module()
class DARTOptiSupernet(DDartsSupernet):
    """D-DARTS supernet laid out as, and initialised on, a baseline network.

    Args:
        baseline (str | dict | Genotype): ``'resnet18'``, ``'resnet50'``,
            ``'xception'``, or the user's own genotype (file path, dict,
            :class:`Genotype`).
        num_classes (int): classifier outputs.
        channels (int): initial channels (32 while searching, as in the
            paper); the old name ``C`` is accepted with a warning.
        init_high (float): alpha of the baseline's ops (reference: 10).
        init_low (float): alpha of every other op (0 -> weight 0.5).
        op_set (str): candidate ops; ``'extended'`` (the 12 ops DARTOpti
            needs to encode ResNets / Xception) by default.
        steps (int, optional): if given, must equal the baseline's steps
            (a config sanity check; the supernet always uses the
            baseline's).
        num_cells (int, optional): likewise for the cell count.
        **kwargs: other :class:`DDartsSupernet` arguments
            (``stem_multiplier``, ``in_channels``, ``mixing``, ...).

    Cells are laid out as ``baseline.seq``; alpha owner ``j`` is gene ``j``,
    so ``arch_parameters()`` has one tensor per gene and
    :meth:`genotype` returns a genotype with the baseline's ``seq``.
    """

    def __init__(self,
                 baseline='resnet18',
                 num_classes=10,
                 channels=32,
                 init_high=10.0,
                 init_low=0.0,
                 op_set='extended',
                 steps=None,
                 num_cells=None,
                 **kwargs):
        for key in ('reductions', 'alpha_owners', 'alpha_mode',
                    'init_alphas'):
            if key in kwargs:
                raise TypeError(
                    f'DARTOptiSupernet: {key!r} comes from the baseline '
                    'genotype and cannot be set')
        channels = pop_renamed(kwargs, 'C', 'channels', type(self).__name__,
                               channels)
        genotype = load_baseline(baseline)
        name = genotype.meta.get('baseline', baseline
                                 if isinstance(baseline, str) else 'custom')
        if steps is not None and int(steps) != genotype.steps:
            raise ValueError(
                f'DARTOptiSupernet: steps={steps} but baseline {name!r} has '
                f'steps={genotype.steps} (nodes up to '
                f'{genotype.steps + 1}); drop `steps` or use a baseline '
                'genotype with that many steps')
        if num_cells is not None and int(num_cells) != genotype.num_cells:
            raise ValueError(
                f'DARTOptiSupernet: num_cells={num_cells} but baseline '
                f'{name!r} has {genotype.num_cells} cells (seq '
                f'{list(genotype.seq)})')
        used = set(genotype.seq)
        unused = [g for g in range(len(genotype.genes)) if g not in used]
        if unused:
            raise ValueError(
                f'DARTOptiSupernet: baseline {name!r} has gene(s) {unused} '
                f'used by no cell (seq {list(genotype.seq)}); their alpha '
                'sets would never be trained. Remove them from the genotype')
        if not init_high > init_low:
            raise ValueError(
                f'DARTOptiSupernet: init_high ({init_high}) must be larger '
                f'than init_low ({init_low})')
        self.baseline = genotype
        self.baseline_name = str(name)
        self.init_high = float(init_high)
        self.init_low = float(init_low)
        # The alpha columns: the op set, led by 'none' with softmax (as in
        # DDartsSupernet).
        mixing = kwargs.get('mixing', 'sigmoid')
        with_none = kwargs.get('with_none')
        if with_none is None:
            with_none = mixing == 'softmax'
        op_names = ((NONE_OP, ) if with_none else ()) + tuple(
            get_op_names(op_set))
        super().__init__(
            num_classes=num_classes,
            channels=channels,
            num_cells=genotype.num_cells,
            steps=genotype.steps,
            reductions=genotype.reductions,
            alpha_owners=genotype.seq,
            init_alphas=baseline_alphas(genotype, op_names, init_high,
                                        init_low),
            op_set=op_set,
            **kwargs)
        assert self.op_names == op_names

    def genotype(self, method='sparse', threshold=0.85, meta=None,
                 strict=False):
        info = dict(baseline=self.baseline_name, origin='dartopti')
        info.update(meta or {})
        return super().genotype(method=method, threshold=threshold,
                                meta=info, strict=strict)
