"""Map a DARTS / D-DARTS reference state dict onto our classifier's keys.

The mapping is built from the structure on both sides, never by zipping two
key lists in order: every key of our :class:`DDartsImageClassifier`
(``backbone.*`` = :class:`DDartsNet`, ``head.fc.*``, ``aux_head.*``) is
derived from the genotype edge / layer it belongs to, the reference key of
that same edge / layer is computed from the reference layout
(:mod:`.source_checkpoint`, :mod:`.op_keys`), shapes are compared, and
every reference key must be used exactly once. Anything left over, missing
or of the wrong shape stops the conversion with the keys and the cell /
edge they belong to.

Concat order: D-DARTS' ``DCOCell`` concatenates its nodes in the order they
first appear as targets in the gene, DARTS' ``Cell`` in its ``concat`` list;
ours in node order. When they differ, the input channels of every consumer
of that cell's output (the next cells' preprocessing convs, the classifier,
the auxiliary head) are permuted so the network computes the same function.
"""
from collections import OrderedDict

import torch

from mmddarts.structures.genotype import gene_concat
from mmddarts.structures.loading import genotype_from_any
from ..backbones.ddarts_net import DDartsNet
from ..backbones.net_arch import EXTRA_STATE, encode_arch
from ..ops import FactorizedReduce
from .op_keys import source_op_suffix, source_preprocess_suffix
from .source_checkpoint import (LAYOUTS, ConversionError, detect_layout,
                                detect_stem, infer_channels,
                                infer_in_channels, num_source_cells,
                                parse_op_key)

MAX_LISTED = 12


def _edge_name(cell, e, edge):
    op, to, src = edge
    return f'cell {cell} edge {e} ({op}, {src}->{to})'


def source_concat(genotype, cell, layout):
    """Nodes the reference cell concatenates, in its order."""
    gene = genotype.gene(cell)
    if layout == 'dco':
        order = []
        for _, to, _ in gene:
            if to not in order:
                order.append(to)
        return tuple(order)
    legacy = genotype.legacy_concat(cell)
    return tuple(legacy) if legacy is not None else gene_concat(gene)


def _check_cell_structure(genotype, cell, layout):
    """Raise when the reference cell would compute something else than ours
    for this gene (a skipped edge, a non-pair DARTS gene, a concat of nodes
    that are not fed)."""
    gene = genotype.gene(cell)
    if layout == 'dco':
        # DCOCell.forward walks target nodes in first-appearance order and
        # silently skips an edge whose source node is not computed yet.
        order = source_concat(genotype, cell, 'dco')
        for e, edge in enumerate(gene):
            _, to, src = edge
            if src >= 2 and (src not in order
                             or order.index(src) > order.index(to)):
                raise ConversionError(
                    f'{_edge_name(cell, e, edge)}: the reference DCOCell '
                    f'computes node {to} before node {src} and skips this '
                    'edge, so no converted network can match it')
    else:
        if len(gene) % 2:
            raise ConversionError(
                f'cell {cell}: a DARTS Cell has two ops per node, the gene '
                f'has {len(gene)} edges')
        for e, edge in enumerate(gene):
            if edge[1] != 2 + e // 2:
                raise ConversionError(
                    f'{_edge_name(cell, e, edge)}: a DARTS Cell feeds op {e} '
                    f'into node {2 + e // 2}; the gene is not in the DARTS '
                    'pair order the checkpoint was built with')
    concat = source_concat(genotype, cell, layout)
    if sorted(concat) != list(gene_concat(gene)):
        raise ConversionError(
            f'cell {cell}: the reference concatenates nodes {list(concat)}, '
            f'the gene feeds {list(gene_concat(gene))}')


def _concat_permutation(genotype, cell, layout, C):
    """Index p with ``ours[:, c] == reference[:, p[c]]`` for the cell's
    output channels, or None when the orders agree."""
    theirs = source_concat(genotype, cell, layout)
    ours = gene_concat(genotype.gene(cell))
    if tuple(theirs) == tuple(ours):
        return None
    perm = []
    for node in ours:
        start = theirs.index(node) * C
        perm.extend(range(start, start + C))
    return torch.tensor(perm)


class _Mapper:
    """Collects target <- source pairs and every problem found."""

    def __init__(self, state):
        self.state = state
        self.out = OrderedDict()
        self.used = {}
        self.problems = []
        self.fill_bn_counters = False
        self.filled = []

    def take(self, target, source, shape, where):
        if source not in self.state and self.fill_bn_counters and \
                source.endswith('.num_batches_tracked'):
            self.out[target] = torch.tensor(0, dtype=torch.long)
            self.filled.append(target)
            return
        if source not in self.state:
            self.problems.append(
                f'missing {source!r} for {target!r} ({where})')
            return
        if source in self.used:
            self.problems.append(
                f'{source!r} would fill both {self.used[source]!r} and '
                f'{target!r} ({where})')
            return
        value = self.state[source]
        if tuple(value.shape) != tuple(shape):
            self.used[source] = None  # reported here, not again as unused
            self.problems.append(
                f'shape of {source!r} is {tuple(value.shape)}, {target!r} '
                f'needs {tuple(shape)} ({where})')
            return
        self.used[source] = target
        self.out[target] = value.detach().clone()


def _describe_source_key(key, genotype, layout):
    """Where a leftover reference key belongs, in genotype terms."""
    parsed = parse_op_key(key, layout)
    if parsed is None:
        return ''
    cell, where = parsed
    if cell >= genotype.num_cells:
        return f' (cell {cell}: the genotype has {genotype.num_cells} cells)'
    gene = genotype.gene(cell)
    if layout == 'dco':
        to, src, j = where[:3]
        ops = [op for op, t, s in gene if (t, s) == (to, src)]
        if not ops:
            into = sorted({s for _, t, s in gene if t == to})
            return (f' (cell {cell}, edge {src}->{to} #{j}: the gene has no '
                    f'such edge; its edges into node {to} come from {into})')
        if j >= len(ops):
            return (f' (cell {cell}, edge {src}->{to} #{j}: the gene has '
                    f'{len(ops)} op(s) on it: {ops})')
        return f' (cell {cell}, edge {src}->{to} #{j}: {ops[j]})'
    i = where[0]
    if i >= len(gene):
        return f' (cell {cell}, op {i}: the gene has {len(gene)} edges)'
    return f' (cell {cell}, op {i}: {tuple(gene[i])})'


def convert_reference_state_dict(state, genotype, stem=None, layout='auto',
                                 num_cells=None, channels=None,
                                 drop_aux=False,
                                 respect_concat_order=True):
    """Convert a reference ``NetworkCIFAR`` / ``NetworkImageNet`` state dict.

    Args:
        state: the reference state dict (see
            :func:`.source_checkpoint.unwrap_state_dict`).
        genotype: the genotype the reference network was built with (a
            :class:`Genotype`, its dict or a file path), in the gene order
            of the file the reference read.
        stem: our stem: ``'cifar'``, ``'imagenet'`` (DARTS, /8) or
            ``'ddarts_imagenet'`` (D-DARTS, /4); required for ImageNet
            checkpoints (their weights do not tell the stride), checked
            against the checkpoint's stem.
        layout: ``'dco'``, ``'darts'`` or ``'auto'``.
        num_cells: cells of the reference network when the genotype has
            fewer (resized with Algorithm 1, as ``DDartsNet(num_cells=)``).
        channels: C; inferred from the stem when None (checked otherwise).
        drop_aux: leave the auxiliary head out (its keys are then consumed
            as dropped); otherwise it is converted when present.
        respect_concat_order: permute consumers of cells whose reference
            concat order differs from ours (only tests turn it off).

    Returns:
        tuple: ``(state_dict, meta, report)``: our classifier's state dict
        (``backbone.*``, ``head.fc.*``, ``aux_head.*``), the checkpoint meta
        (genotype JSON, stem, num_cells, channels, num_classes) and a dict
        of counts for printing.
    """
    # the reference networks build whole ops: an ACA genotype has no
    # reference counterpart
    given = genotype_from_any(genotype).require_plain(
        'convert_reference_state_dict')
    genotype = given
    src_stem = detect_stem(state)
    if stem is None:
        if src_stem != 'cifar':
            raise ConversionError(
                "an ImageNet checkpoint needs stem='imagenet' (DARTS, cells "
                "at /8) or 'ddarts_imagenet' (D-DARTS, cells at /4)")
        stem = 'cifar'
    if (stem == 'cifar') != (src_stem == 'cifar'):
        raise ConversionError(f'stem {stem!r} does not fit the checkpoint, '
                              f'which has a {src_stem} stem')
    n_src = num_source_cells(state)
    if num_cells is not None and num_cells != genotype.num_cells:
        from mmddarts.structures.expand import expand_genotype
        genotype = expand_genotype(genotype, num_cells)
    if genotype.num_cells != n_src:
        raise ConversionError(
            f'the checkpoint has {n_src} cells, the genotype '
            f'{genotype.num_cells}; pass num_cells={n_src} to resize the '
            'genotype with Algorithm 1')
    if layout == 'auto':
        layout = detect_layout(state)
    if layout not in LAYOUTS:
        raise ConversionError(f'layout must be one of {LAYOUTS} or auto, '
                              f'got {layout!r}')
    C = infer_channels(state, src_stem)
    in_channels = infer_in_channels(state, src_stem)  # 1 for grey images
    if channels is not None and channels != C:
        raise ConversionError(f'channels={channels}, but the checkpoint\'s '
                              f'stem gives C={C}')
    for cell in range(genotype.num_cells):
        _check_cell_structure(genotype, cell, layout)

    with torch.device('meta'):
        net = DDartsNet(genotype, channels=C, stem=stem, aux_index=None,
                        in_channels=in_channels)
    mapper = _Mapper(state)
    # Old files (torch < 0.4.1, e.g. DARTS' released weights) have no
    # BatchNorm num_batches_tracked; eval never reads it: filled with 0.
    mapper.fill_bn_counters = not any(
        k.endswith('num_batches_tracked') for k in state)
    for key, value in net.state_dict().items():
        if key.split('.')[-1] == EXTRA_STATE:
            # The network record (genotype, stem, cells, widths) that every
            # derived-network load checks: it describes the network these
            # weights are mapped onto, which has no source counterpart.
            mapper.out[f'backbone.{key}'] = encode_arch(net.arch_record())
            continue
        mapper.take(f'backbone.{key}', _source_key(key, net, genotype, layout),
                    value.shape, _target_where(key, genotype))

    if 'classifier.weight' not in state:
        mapper.problems.append("missing 'classifier.weight' (the linear "
                               'classifier)')
        num_classes = None
    else:
        num_classes = state['classifier.weight'].shape[0]
        in_features = net.out_channels[-1]
        mapper.take('head.fc.weight', 'classifier.weight',
                    (num_classes, in_features), 'classifier')
        mapper.take('head.fc.bias', 'classifier.bias', (num_classes, ),
                    'classifier')

    aux_keys = [k for k in state if k.startswith('auxiliary_head.')]
    dropped = []
    if aux_keys and drop_aux:
        dropped = aux_keys
        for k in aux_keys:
            mapper.used[k] = None
    elif aux_keys:
        _map_aux(mapper, stem, genotype, net, num_classes)

    left = [k for k in state if k not in mapper.used]
    hint = []
    if any(k.startswith('auxiliary_head.') for k in left):
        # listed first: the unused keys below may be cut at MAX_LISTED
        hint = [f'{sum(k.startswith("auxiliary_head.") for k in left)} '
                "auxiliary_head.* key(s) do not fit our auxiliary head: "
                'pass --drop-aux (drop_aux=True) to leave the head out (it '
                'is used in training only)']
    problems = hint + list(mapper.problems) + [
        f'unused {k!r}{_describe_source_key(k, genotype, layout)}'
        for k in left]
    if problems:
        more = len(problems) - MAX_LISTED
        raise ConversionError(
            f'{len(problems)} problem(s) mapping the checkpoint onto the '
            f'genotype ({layout} cells, C={C}, {genotype.num_cells} cells):\n'
            + '\n'.join(f'  {p}' for p in problems[:MAX_LISTED])
            + (f'\n  ... and {more} more' if more > 0 else ''))

    permuted = []
    if respect_concat_order:
        permuted = _permute_consumers(mapper.out, net, genotype, layout, C,
                                      with_aux=bool(aux_keys) and
                                      not drop_aux)
    meta = dict(
        genotype=given.to_dict(),
        stem=stem,
        num_cells=genotype.num_cells,
        channels=C,
        in_channels=in_channels,
        num_classes=num_classes,
        source_layout=layout)
    report = dict(
        source_keys=len(state),
        target_keys=len(mapper.out),
        dropped_aux_keys=len(dropped),
        filled_num_batches_tracked=len(mapper.filled),
        concat_permuted_cells=permuted)
    return mapper.out, meta, report


def _target_where(key, genotype):
    parts = key.split('.')
    if parts[0] == 'cells':
        cell = int(parts[1])
        if parts[2] == 'ops':
            e = int(parts[3])
            return _edge_name(cell, e, genotype.gene(cell)[e])
        return f'cell {cell} {parts[2]}'
    return parts[0]


def _source_key(key, net, genotype, layout):
    """The reference key of our backbone key ``key``."""
    parts = key.split('.')
    if parts[0] != 'cells':
        return key  # stem / stem0 / stem1: same layers, same names
    cell, kind, rest = int(parts[1]), parts[2], parts[3:]
    if kind in ('preprocess0', 'preprocess1'):
        module = getattr(net.cells[cell], kind)
        suffix = source_preprocess_suffix(
            isinstance(module, FactorizedReduce), '.'.join(rest))
        return f'cells.{cell}.{kind}.{suffix}'
    assert kind == 'ops', key
    e, rest = int(rest[0]), '.'.join(rest[1:])
    gene = genotype.gene(cell)
    op, to, src = gene[e]
    stride = 2 if genotype.is_reduction(cell) and src < 2 else 1
    suffix = source_op_suffix(op, stride, rest)
    if layout == 'dco':
        j = sum(1 for t, s in ((t, s) for _, t, s in gene[:e])
                if (t, s) == (to, src))
        return f'cells.{cell}._ops.{to}.{src}.{j}.{suffix}'
    return f'cells.{cell}._ops.{e}.{suffix}'


def _map_aux(mapper, stem, genotype, net, num_classes):
    from ..heads.aux_head import AuxiliaryHeadCIFAR, AuxiliaryHeadImageNet
    cls = AuxiliaryHeadCIFAR if stem == 'cifar' else AuxiliaryHeadImageNet
    if not genotype.reductions:
        mapper.problems.append('the checkpoint has an auxiliary head but '
                               'the genotype no reduction cell to feed it')
        return
    in_channels = net.out_channels[genotype.reductions[-1]]
    with torch.device('meta'):
        head = cls(num_classes=num_classes or 1, in_channels=in_channels)
    for key, value in head.state_dict().items():
        source = 'auxiliary_head.' + (
            'classifier.' + key[3:] if key.startswith('fc.') else key)
        mapper.take(f'aux_head.{key}', source, value.shape,
                    f'{cls.__name__} (pass drop_aux / --drop-aux to leave '
                    'the training-only head out)')


def _permute_consumers(out, net, genotype, layout, C0, with_aux):
    """Reorder the input channels of every consumer of a cell whose
    reference concat order differs from ours; returns those cells."""
    n = genotype.num_cells
    permuted = []
    C = C0
    for k in range(n):
        if genotype.is_reduction(k):
            C *= 2
        perm = _concat_permutation(genotype, k, layout, C)
        if perm is None:
            continue
        permuted.append(k)
        keys = []
        if k + 1 < n:
            keys.append(f'backbone.cells.{k + 1}.preprocess1.1.weight')
        if k + 2 < n:
            pre = net.cells[k + 2].preprocess0
            if isinstance(pre, FactorizedReduce):
                keys += [f'backbone.cells.{k + 2}.preprocess0.conv_1.weight',
                         f'backbone.cells.{k + 2}.preprocess0.conv_2.weight']
            else:
                keys.append(f'backbone.cells.{k + 2}.preprocess0.1.weight')
        if k == n - 1:
            keys.append('head.fc.weight')
        if with_aux and k == genotype.reductions[-1]:
            keys.append('aux_head.features.2.weight')
        for key in keys:
            out[key] = out[key].index_select(1, perm).contiguous()
    return permuted
