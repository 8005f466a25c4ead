"""Handcrafted networks encoded as genotypes (DARTOpti's starting points).

Edges are ``(op, to, from)`` in the extended 12-op space; node 0 is the
output of cell ``k-2``, node 1 that of cell ``k-1``. Cells with the same
layer type share one gene (``seq``), so they also share one set of
architecture weights during a DARTOpti search.

* ResNet18: 4 stages of two basic blocks (3x3 conv pairs + identity), one
  gene shared by the 4 cells; cells 1, 2, 3 reduce.
* ResNet50: 4 stages of 3, 4, 6, 3 bottleneck blocks (``bottleneck_1x3x1``
  with a parallel ``skip_connect`` as the residual), 6 steps per cell; the
  3-block gene is used by the first and the last stage.
* Xception: 13 cells (entry flow, 8 middle-flow cells, exit flow) with
  reductions at 1, 2, 11, 12, as in the reference D-DARTS code.
"""
from .genotype import Genotype

_RESNET18_GENE = [
    ('simple_conv_3x3', 2, 0),
    ('simple_conv_3x3', 3, 2),
    ('skip_connect', 3, 0),
    ('simple_conv_3x3', 4, 3),
    ('simple_conv_3x3', 5, 4),
    ('skip_connect', 5, 3),
]


def _bottlenecks(pairs):
    """A chain of residual bottleneck blocks ``to <- from``."""
    gene = []
    for to, src in pairs:
        gene += [('bottleneck_1x3x1', to, src), ('skip_connect', to, src)]
    return gene


_RESNET50_GENES = [
    _bottlenecks([(2, 0), (3, 2), (4, 3)]),
    _bottlenecks([(2, 0), (3, 2), (4, 3), (5, 4)]),
    _bottlenecks([(2, 0), (3, 2), (4, 3), (5, 4), (6, 5), (7, 6)]),
]

_XCEPTION_GENES = [
    # entry / exit block: separable convs + max pool, 1x1 conv shortcut
    [('sep_conv_3x3', 2, 0), ('sep_conv_3x3', 3, 2), ('simple_conv_1x1', 4, 0),
     ('max_pool_3x3', 4, 3)],
    # middle-flow block: three separable convs, identity shortcut
    [('sep_conv_3x3', 2, 0), ('sep_conv_3x3', 3, 2), ('skip_connect', 4, 0),
     ('sep_conv_3x3', 4, 3)],
    # final separable convs
    [('sep_conv_3x3', 2, 0), ('sep_conv_3x3', 3, 2)],
]

_BASELINES = {
    'resnet18': dict(genes=[_RESNET18_GENE], seq=[0, 0, 0, 0],
                     reductions=[1, 2, 3], steps=4),
    'resnet50': dict(genes=_RESNET50_GENES, seq=[0, 1, 2, 0],
                     reductions=[1, 2, 3], steps=6),
    'xception': dict(genes=_XCEPTION_GENES,
                     seq=[0, 0, 0] + [1] * 8 + [0, 2],
                     reductions=[1, 2, 11, 12], steps=4),
}

BASELINE_NAMES = tuple(_BASELINES)


def get_baseline(name):
    """Genotype of a handcrafted network: ``'resnet18'``, ``'resnet50'`` or
    ``'xception'`` (case-insensitive)."""
    key = str(name).lower()
    if key not in _BASELINES:
        raise KeyError(f'unknown baseline {name!r}; available: '
                       f'{", ".join(BASELINE_NAMES)}')
    spec = _BASELINES[key]
    # Build nodes in node order whatever order the edges were written in.
    genes = [sorted(gene, key=lambda e: (e[1], e[2], e[0]))
             for gene in spec['genes']]
    return Genotype(genes=genes, seq=spec['seq'],
                    reductions=spec['reductions'], steps=spec['steps'],
                    op_set='extended',
                    meta={'baseline': key, 'origin': 'handcrafted'})
