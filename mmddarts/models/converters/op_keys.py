"""Parameter names of one op in the reference code vs. ours.

DARTS (quark0/darts ``operations.py``) and D-DARTS (aheuillet/D-DARTS
``operations.py``) wrap most ops in a module holding ``self.op =
nn.Sequential(...)``, so their keys carry an ``op.`` level; ours are the
``nn.Sequential`` itself (:mod:`mmddarts.models.ops`). The layer indices
inside the sequences are the same, except for ``SepConv``: theirs is one
8-layer sequence (ReLU, dw, pw, BN, ReLU, dw, pw, BN), ours two
``DilConv``-like halves of 4 layers, so their ``op.{4a+b}`` is our ``a.b``.

============================  =====================  =====================
op (our name)                 reference suffix        our suffix
============================  =====================  =====================
sep_conv_3x3 / 5x5            ``op.1`` .. ``op.7``    ``0.1`` .. ``1.3``
dil_conv_3x3 / 5x5            ``op.{1,2,3}``          ``{1,2,3}``
simple_conv_1x1 / 3x3         ``op.{1,2}``            ``{1,2}``
conv_3x1_1x3 (``RectConv``)   ``op.{1,2,3}``          ``{1,2,3}``
bottleneck_1x3x1 (``ResConv``) ``op.{1..9}``          ``{1..9}``
conv_7x1_1x7 (a Sequential)   ``{1,2,3}``             ``{1,2,3}``
skip_connect, stride 2        ``conv_1 conv_2 bn``    the same
(``FactorizedReduce``)
pools, skip (stride 1), none  no parameters           no parameters
============================  =====================  =====================

Cell preprocessing: ``ReLUConvBN`` -> ``op.{1,2}`` vs ``{1,2}``;
``FactorizedReduce`` keeps its names.
"""
import re

_OP_PREFIXED = ('dil_conv_3x3', 'dil_conv_5x5', 'simple_conv_1x1',
                'simple_conv_3x3', 'conv_3x1_1x3', 'bottleneck_1x3x1')
_AS_IS = ('conv_7x1_1x7', )
_SEP = ('sep_conv_3x3', 'sep_conv_5x5')
_NO_PARAMS = ('max_pool_3x3', 'avg_pool_3x3', 'none')

_SEP_RE = re.compile(r'^([01])\.([123])\.(.+)$')


def source_op_suffix(op, stride, ours):
    """The reference's name of our op parameter ``ours`` (relative to the op
    module, e.g. ``'0.1.weight'``) for op ``op`` built with ``stride``."""
    if op == 'skip_connect':
        if stride == 1:
            raise KeyError(f'skip_connect at stride 1 has no parameter '
                           f'{ours!r}')
        return ours  # FactorizedReduce: conv_1 / conv_2 / bn
    if op in _SEP:
        m = _SEP_RE.match(ours)
        if m is None:
            raise KeyError(f'{op}: unexpected parameter {ours!r}')
        half, layer, rest = int(m.group(1)), int(m.group(2)), m.group(3)
        return f'op.{4 * half + layer}.{rest}'
    if op in _OP_PREFIXED:
        return f'op.{ours}'
    if op in _AS_IS:
        return ours
    if op in _NO_PARAMS:
        raise KeyError(f'{op} has no parameter {ours!r}')
    raise KeyError(f'no reference layout known for op {op!r}')


def source_preprocess_suffix(is_factorized_reduce, ours):
    """Reference name of a cell preprocessing parameter."""
    return ours if is_factorized_reduce else f'op.{ours}'
