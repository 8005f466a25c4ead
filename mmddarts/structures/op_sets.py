"""Names of the candidate operations of each search space.

Kept free of torch so genotypes can be read, validated and compared without it.
The order is the column order of the architecture weights (alpha).
"""

# DARTS' primitives without 'none' (DARTS, FairDARTS, D-DARTS).
DARTS_OPS = (
    'max_pool_3x3',
    'avg_pool_3x3',
    'skip_connect',
    'sep_conv_3x3',
    'sep_conv_5x5',
    'dil_conv_3x3',
    'dil_conv_5x5',
)

# DARTOpti's extended space: DARTS' 7 + 5 ops that encode handcrafted nets.
EXTENDED_OPS = DARTS_OPS + (
    'conv_3x1_1x3',
    'conv_7x1_1x7',
    'simple_conv_1x1',
    'simple_conv_3x3',
    'bottleneck_1x3x1',
)

# ACA's search space (docs/aca.md): DARTS' ops less 'skip_connect', whose
# role ACA gives to the channels refilled with identity after the search.
# DARTOpti keeps its skips (its baselines are residual networks). A genotype
# parsed from it is a plain 'darts' genotype (smallest_op_set below).
DARTS_NOSKIP_OPS = tuple(op for op in DARTS_OPS if op != 'skip_connect')

# The zero op of DARTS' softmax search; never part of a derived genotype.
NONE_OP = 'none'

OP_SETS = {
    'darts': DARTS_OPS,
    'darts_noskip': DARTS_NOSKIP_OPS,
    'extended': EXTENDED_OPS,
}


def get_op_names(op_set):
    """Return the op names of ``op_set`` (``'darts'``, ``'darts_noskip'``
    or ``'extended'``)."""
    try:
        return OP_SETS[op_set]
    except KeyError:
        raise ValueError(f'unknown op set {op_set!r}; expected one of '
                         f'{sorted(OP_SETS)}') from None


def smallest_op_set(op_names):
    """Name of the smallest op set containing every name in ``op_names``
    among the sets a derived network builds (``'darts'``, ``'extended'``;
    an ACA genotype without skips is a ``'darts'`` one)."""
    names = set(op_names)
    for set_name in ('darts', 'extended'):
        if names <= set(OP_SETS[set_name]):
            return set_name
    unknown = sorted(names - set(EXTENDED_OPS))
    raise ValueError(
        f'unknown op(s) {unknown}; known ops: {list(EXTENDED_OPS)}')
