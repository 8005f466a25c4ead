"""DDartsNet: the derived (evaluation) network of a (D-)DARTS genotype."""
import json

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmddarts.registry import MODELS
from mmddarts.structures.loading import genotype_from_any
from ..derived_cell import DerivedCell
from ..search.compile_cells import compile_cells
from .net_arch import (EXTRA_STATE, FROM_CHECKPOINT, arch_build_kwargs,
                       arch_from_init_cfg, check_state_dict, encode_arch)

CONCAT_RULES = ('fed', 'legacy')

# Stride (relative to the image) of ``s1``, the stem output cell 0 reads as
# its second input. ``imagenet``: DARTS' NetworkImageNet (stem0 /4, stem1 /8);
# ``ddarts_imagenet``: D-DARTS' NetworkImageNet (aheuillet/D-DARTS model.py),
# whose stem0 has stride 1 in its second conv (stem0 /2, stem1 /4).
STEM_STRIDES = {'cifar': 1, 'imagenet': 8, 'ddarts_imagenet': 4}


def resolve_genotype(genotype, num_cells=None, reductions=None):
    """The genotype to build: ``genotype`` grown or shrunk to ``num_cells``
    by Algorithm 1, with the given target ``reductions`` (either may be
    ``None``: the genotype's depth / the default rule)."""
    genotype = genotype_from_any(genotype)
    if reductions is not None:
        reductions = list(reductions)
    if (num_cells is not None and num_cells != genotype.num_cells) or (
            reductions is not None
            and reductions != list(genotype.reductions)):
        from mmddarts.structures.expand import expand_genotype
        genotype = expand_genotype(
            genotype, genotype.num_cells if num_cells is None else num_cells,
            reductions)
    return genotype


def auto_aux_index(genotype):
    """Cell feeding the auxiliary head for ``aux_index='auto'``: the last
    reduction cell (the authors' rule), ``2 * n // 3`` without one."""
    if genotype.reductions:
        return genotype.reductions[-1]
    return 2 * genotype.num_cells // 3


def _log_fallback_genes(genotype, built_cells, owner):
    """One log line when genes of ``genotype`` are a search's empty-gene
    fallbacks (no op passed the threshold; ``meta['empty_fallback']``): the
    network trains (and Algorithm 1 grows) a made-up edge there, which must
    not pass unnoticed."""
    value = genotype.meta.get('empty_fallback') or []
    value = value if isinstance(value, (list, tuple)) else [value]
    genes = sorted({int(v['owner']) if isinstance(v, dict) else int(v)
                    for v in value})
    if not genes:
        return
    import logging

    from mmengine.logging import print_log
    cells = [c for c, g in enumerate(genotype.seq) if g in genes]
    grown = (f', grown to {built_cells} cells'
             if built_cells != genotype.num_cells else '')
    print_log(
        f'{owner}: {len(cells)} of the genotype\'s {genotype.num_cells} '
        f'cells (cells {cells}, gene(s) {genes}{grown}) are empty-gene '
        'fallbacks of the search: no op passed the threshold and the '
        'strongest op into node 2 stands in. Consider a lower threshold or '
        'another parsing method', logger='current', level=logging.WARNING)


@MODELS.register_module()
class DDartsNet(BaseModule):
    """Cells stacked as a genotype says, after a CIFAR or ImageNet stem.

    Args:
        genotype: a :class:`Genotype`, its dict, or a genotype file path;
            ``'from_checkpoint'``: the network recorded in ``init_cfg``'s
            Pretrained checkpoint (genotype, channels, stem... all taken
            from it; see :mod:`.net_arch`).
        channels: C, the node width of the first cells; each reduction cell
            doubles it.
        num_cells: build this many cells with Algorithm 1
            (:func:`mmddarts.structures.expand.expand_genotype`) when it
            differs from the genotype's cell count. ``None``: the genotype's
            count.
        reductions: target reduction cell positions for Algorithm 1
            (``None``: its default rule, see
            :mod:`mmddarts.structures.expand`); given at the genotype's own
            depth, it moves the reductions.
        stem: ``'cifar'`` (3x3 conv to ``stem_multiplier * C`` + BN, /1),
            ``'imagenet'`` (DARTS' NetworkImageNet: stem0 = two stride-2
            3x3 convs, stem1 = one more; cells start at /8) or
            ``'ddarts_imagenet'`` (D-DARTS' NetworkImageNet: the same layers
            and parameters, but stem0's second conv has stride 1, so cells
            start at /4 like ResNet's; with it DO-2-ResNet18 has the D-DARTS
            paper's 8619M ImageNet FLOPs, and DO-2-ResNet50 9874M against
            the paper's 10029M). See ``STEM_STRIDES``.
        stem_multiplier: width factor of the CIFAR stem.
        in_channels: image channels.
        out_indices: cells whose outputs are returned (negative indices count
            from the end), as a tuple in this order.
        aux_index: cell whose output feeds an auxiliary head, ``None`` for
            none. ``'auto'``: the last reduction cell, where the authors'
            ``model.py`` attaches it (``reduction_indexes[-1]``). It equals
            DARTS' ``2 * num_cells // 3`` on DARTS-like layouts (13 of 20, 5
            of 8, 9 of 14) but not elsewhere: cell 3 of the 4-cell DARTOpti
            ResNet genotypes (reductions 1, 2, 3), cell 12 of the Xception
            ones, cell 6 of an 8-cell network reducing at 2 and 6. A
            genotype without reduction cells falls back to ``2 * n // 3``.
        drop_path_mode: ``'node'`` or ``'edge'`` (see :class:`DerivedCell`).
        concat_rule: ``'fed'`` concatenates every node with an input;
            ``'legacy'`` uses ``genotype.meta['legacy_concat']`` (the
            reference code's fixed ``concat``) when present.
        keep_unused_inputs: build the 1x1 preprocessing of a cell input that
            no edge of the cell reads (the reference does, and the papers'
            parameter counts include it). Such weights could get no
            gradient, so they are built with ``requires_grad=False`` and DDP
            needs no ``find_unused_parameters``; ``False`` drops them.
        init_cfg: mmengine init config.
        compile: ``torch.compile`` the cells: ``True`` or a dict of its
            arguments (see :mod:`mmddarts.models.search.compile_cells`);
            drop path then reaches the cells as a tensor rate.

    Attributes:
        out_channels (list[int]): output channels of every cell.
        aux_channels (int | None): channels of the auxiliary head's input.
        stem_stride (int): stride of the stem output the first cell reads.
        dead_cells (tuple[int]): cells whose output reaches neither an
            ``out_indices`` cell nor the aux cell; built (parameter counts)
            but frozen, like the preprocessing of an input no edge reads.
        drop_path_prob (float): drop-path rate used in training; set by
            :class:`mmddarts.engine.hooks.DropPathHook`.
    """

    def __init__(self,
                 genotype,
                 channels=36,
                 num_cells=None,
                 stem='cifar',
                 stem_multiplier=3,
                 in_channels=3,
                 out_indices=(-1, ),
                 aux_index='auto',
                 drop_path_mode='node',
                 concat_rule='fed',
                 keep_unused_inputs=True,
                 init_cfg=None,
                 reductions=None,
                 compile=False):
        super().__init__(init_cfg=init_cfg)
        if isinstance(genotype, str) and genotype == FROM_CHECKPOINT:
            rebuilt = arch_build_kwargs(
                arch_from_init_cfg(init_cfg, type(self).__name__))
            genotype, num_cells, reductions = (
                rebuilt['genotype'], None, None)
            channels, stem = rebuilt['channels'], rebuilt['stem']
            in_channels = rebuilt['in_channels']
            concat_rule = rebuilt['concat_rule']
            stem_multiplier = rebuilt.get('stem_multiplier', stem_multiplier)
            keep_unused_inputs = rebuilt.get('keep_unused_inputs',
                                             keep_unused_inputs)
        source = genotype_from_any(genotype)
        genotype = resolve_genotype(source, num_cells, reductions)
        _log_fallback_genes(source, genotype.num_cells, type(self).__name__)
        if concat_rule not in CONCAT_RULES:
            raise ValueError(f'DDartsNet: concat_rule must be one of '
                             f'{CONCAT_RULES}, got {concat_rule!r}')
        self.genotype = genotype
        self.drop_path_prob = 0.
        self._arch = json.loads(json.dumps(dict(
            format='mmddarts.derived_net',
            genotype=genotype.to_dict(), num_cells=genotype.num_cells,
            channels=channels, stem=stem,
            stem_multiplier=stem_multiplier if stem == 'cifar' else None,
            in_channels=in_channels, concat_rule=concat_rule,
            keep_unused_inputs=keep_unused_inputs)))
        n = genotype.num_cells
        C = channels

        if stem == 'cifar':
            C_stem = stem_multiplier * C
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, C_stem, 3, padding=1, bias=False),
                nn.BatchNorm2d(C_stem))
            C_prev_prev, C_prev, reduction_prev = C_stem, C_stem, False
        elif stem in ('imagenet', 'ddarts_imagenet'):
            # Both stems: s0 = stem0(x) has twice the resolution of
            # s1 = stem1(s0), so cell 0 FactorizedReduces s0. They differ only
            # in the stride of stem0's second conv (same parameters).
            mid_stride = 2 if stem == 'imagenet' else 1
            self.stem0 = nn.Sequential(
                nn.Conv2d(in_channels, C // 2, 3, stride=2, padding=1,
                          bias=False),
                nn.BatchNorm2d(C // 2),
                nn.ReLU(inplace=True),
                nn.Conv2d(C // 2, C, 3, stride=mid_stride, padding=1,
                          bias=False),
                nn.BatchNorm2d(C))
            self.stem1 = nn.Sequential(
                nn.ReLU(inplace=False),
                nn.Conv2d(C, C, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(C))
            C_prev_prev, C_prev, reduction_prev = C, C, True
        else:
            raise ValueError(
                f'DDartsNet: stem must be one of {sorted(STEM_STRIDES)}, '
                f'got {stem!r}')
        self.stem_type = stem
        self.stem_stride = STEM_STRIDES[stem]

        self.cells = nn.ModuleList()
        self.out_channels = []
        C_curr = C
        for i in range(n):
            reduction = genotype.is_reduction(i)
            if reduction:
                C_curr *= 2
            concat = None
            if concat_rule == 'legacy':
                concat = genotype.legacy_concat(i)
            cell = DerivedCell(
                genotype.gene(i), C_prev_prev, C_prev, C_curr, reduction,
                reduction_prev, concat=concat,
                drop_path_mode=drop_path_mode,
                keep_unused_inputs=keep_unused_inputs,
                name=f'DDartsNet cell {i}',
                allocations=None if genotype.allocations is None else
                genotype.allocations[genotype.seq[i]])
            self.cells.append(cell)
            self.out_channels.append(cell.out_channels)
            C_prev_prev, C_prev = C_prev, cell.out_channels
            reduction_prev = reduction

        self.out_indices = self._check_indices(out_indices, n)
        if aux_index == 'auto':
            aux_index = auto_aux_index(genotype)
        if aux_index is not None:
            aux_index = self._check_indices((aux_index, ), n, 'aux_index')[0]
        self.aux_index = aux_index
        self.aux_channels = None if aux_index is None else \
            self.out_channels[aux_index]
        self.dead_cells = self._dead_cells()
        # Kept (the papers' parameter counts include them) but frozen: their
        # weights never get a gradient, and DDP would otherwise fail with
        # "Expected to have finished reduction" (e.g. DO-Xception: cell 12
        # reads only cell 10, so nothing reads cell 11).
        for i in self.dead_cells:
            self.cells[i].requires_grad_(False)
        self.compile_options = compile_cells(
            self.cells, compile, f'{type(self).__name__}: compile')

    # ------------------------------------------------ architecture record
    def arch_record(self):
        """What this network writes next to its weights (see
        :mod:`.net_arch`): whole genotype, stem, cell count, channels."""
        return self._arch

    def get_extra_state(self):
        return encode_arch(self._arch)

    def set_extra_state(self, state):
        # compared in _load_from_state_dict before any weight is copied
        pass

    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              strict, missing_keys, unexpected_keys,
                              error_msgs):
        check_state_dict(self, state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)
        if prefix + EXTRA_STATE in missing_keys:
            missing_keys.remove(prefix + EXTRA_STATE)  # older checkpoints

    def _dead_cells(self):
        """Cells whose output reaches no output / aux cell, walking back
        through the inputs each needed cell actually reads."""
        needed = set(self.out_indices)
        if self.aux_index is not None:
            needed.add(self.aux_index)
        for i in range(len(self.cells) - 1, -1, -1):
            if i in needed:
                # input 0 is cell i-2's output, input 1 cell i-1's (the stem
                # when negative)
                needed.update(i - 2 + k for k in self.cells[i].used_inputs
                              if i - 2 + k >= 0)
        return tuple(i for i in range(len(self.cells)) if i not in needed)

    @staticmethod
    def _check_indices(indices, n, what='out_indices'):
        if isinstance(indices, int):
            indices = (indices, )
        checked = []
        for i in indices:
            if not -n <= i < n:
                raise ValueError(f'DDartsNet: {what} {i} out of range for '
                                 f'{n} cells')
            checked.append(i % n)
        if len(set(checked)) != len(checked):
            raise ValueError(f'DDartsNet: {what} {tuple(indices)} names a '
                             'cell twice')
        return tuple(checked)

    def forward(self, x, with_aux_output=False):
        """Return the outputs of ``out_indices`` as a tuple, and also the
        auxiliary head input when ``with_aux_output`` (``(outs, aux)``)."""
        if self.stem_type == 'cifar':
            s0 = s1 = self.stem(x)
        else:
            s0 = self.stem0(x)
            s1 = self.stem1(s0)
        drop_prob = self.drop_path_prob
        if self.compile_options is not None and self.training and \
                drop_prob > 0.:
            # a graph input, not a constant: no recompile per epoch's rate
            drop_prob = torch.full((), float(drop_prob), device=x.device)
        outs, aux = [], None
        last = max(self.out_indices)
        if with_aux_output:
            if self.aux_index is None:
                raise ValueError('DDartsNet: with_aux_output needs a cell for '
                                 'the auxiliary head (aux_index)')
            last = max(last, self.aux_index)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, drop_prob)
            if i in self.out_indices:
                outs.append(s1)
            if i == self.aux_index:
                aux = s1
            if i == last:  # later cells are not needed
                break
        outs = self._order(outs)
        return (outs, aux) if with_aux_output else outs

    def _order(self, outs):
        # ``outs`` were collected in cell order; return them in the order of
        # ``out_indices``.
        by_cell = dict(zip(sorted(self.out_indices), outs))
        return tuple(by_cell[i] for i in self.out_indices)
