"""Small stand-ins for the reference networks' module layout, for tests.

Written for these tests from the naming the reference projects document in
their module attributes (quark0/darts and aheuillet/D-DARTS ``model.py`` /
``operations.py``: ``self.op`` sequences, ``_ops`` lists / nested dicts,
``stem``/``stem0``/``stem1``, ``classifier``, ``auxiliary_head``), so a
converted checkpoint can be checked against an independent implementation:
its own ops, its own forward (the reference's FactorizedReduce slicing, the
DCO cell's first-appearance node order and concat), nothing imported from
mmddarts.
"""
import torch
import torch.nn as nn


class _Holder(nn.Module):
    """``self.op = Sequential(...)``: the reference's op wrapper."""

    def __init__(self, *layers):
        super().__init__()
        self.op = nn.Sequential(*layers)

    def forward(self, x):
        return self.op(x)


class RefFactorizedReduce(nn.Module):

    def __init__(self, c_in, c_out):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        x = self.relu(x)
        return self.bn(torch.cat(
            [self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], 1))


class _Zero(nn.Module):

    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        return x[:, :, ::self.stride, ::self.stride] * 0.


def ref_op(name, C, stride):
    """One op with the reference's parameter names."""
    conv = nn.Conv2d
    if name == 'none':
        return _Zero(stride)
    if name == 'skip_connect':
        return nn.Identity() if stride == 1 else RefFactorizedReduce(C, C)
    if name == 'max_pool_3x3':
        return nn.MaxPool2d(3, stride, 1)
    if name == 'avg_pool_3x3':
        return nn.AvgPool2d(3, stride, 1, count_include_pad=False)
    if name.startswith('sep_conv_'):
        k = int(name[-1])
        p = k // 2
        return _Holder(
            nn.ReLU(), conv(C, C, k, stride, p, groups=C, bias=False),
            conv(C, C, 1, bias=False), nn.BatchNorm2d(C),
            nn.ReLU(), conv(C, C, k, 1, p, groups=C, bias=False),
            conv(C, C, 1, bias=False), nn.BatchNorm2d(C))
    if name.startswith('dil_conv_'):
        k = int(name[-1])
        return _Holder(
            nn.ReLU(), conv(C, C, k, stride, k - 1, dilation=2, groups=C,
                            bias=False),
            conv(C, C, 1, bias=False), nn.BatchNorm2d(C))
    if name.startswith('simple_conv_'):
        k = int(name[-1])
        return _Holder(nn.ReLU(), conv(C, C, k, stride, k // 2, bias=False),
                       nn.BatchNorm2d(C))
    if name == 'conv_3x1_1x3':
        return _Holder(
            nn.ReLU(), conv(C, C, (1, 3), (1, stride), (0, 1), bias=False),
            conv(C, C, (3, 1), (stride, 1), (1, 0), bias=False),
            nn.BatchNorm2d(C))
    if name == 'conv_7x1_1x7':
        return nn.Sequential(
            nn.ReLU(), conv(C, C, (1, 7), (1, stride), (0, 3), bias=False),
            conv(C, C, (7, 1), (stride, 1), (3, 0), bias=False),
            nn.BatchNorm2d(C))
    if name == 'bottleneck_1x3x1':
        E = 4 * C
        return _Holder(
            nn.ReLU(), conv(C, C, 1, bias=False), nn.BatchNorm2d(C),
            conv(C, C, 3, stride, 1, bias=False), nn.BatchNorm2d(C),
            conv(C, E, 1, bias=False), nn.BatchNorm2d(E), nn.ReLU(),
            conv(E, C, 1, bias=False), nn.BatchNorm2d(C))
    raise KeyError(name)


def _preprocess(c_in, C, factorized):
    if factorized:
        return RefFactorizedReduce(c_in, C)
    return _Holder(nn.ReLU(), nn.Conv2d(c_in, C, 1, bias=False),
                   nn.BatchNorm2d(C))


class RefDartsCell(nn.Module):
    """DARTS' Cell: ``_ops`` list, op i feeds node 2 + i // 2."""

    def __init__(self, pairs, concat, c_pp, c_p, C, reduction, red_prev):
        super().__init__()
        self.preprocess0 = _preprocess(c_pp, C, red_prev)
        self.preprocess1 = _preprocess(c_p, C, False)
        self._ops = nn.ModuleList(
            ref_op(op, C, 2 if reduction and src < 2 else 1)
            for op, src in pairs)
        self.srcs = [src for _, src in pairs]
        self.concat = list(concat)
        self.multiplier = len(concat)

    def forward(self, s0, s1):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i in range(0, len(self._ops), 2):
            states.append(self._ops[i](states[self.srcs[i]]) +
                          self._ops[i + 1](states[self.srcs[i + 1]]))
        return torch.cat([states[i] for i in self.concat], 1)


class RefDCOCell(nn.Module):
    """D-DARTS' DCOCell: ``_ops[str(to)][str(from)]`` lists in gene order;
    nodes computed in first-appearance order, edges from nodes not computed
    yet skipped, output = the nodes in that order."""

    def __init__(self, gene, c_pp, c_p, C, reduction, red_prev):
        super().__init__()
        self.preprocess0 = _preprocess(c_pp, C, red_prev)
        self.preprocess1 = _preprocess(c_p, C, False)
        self._ops = nn.ModuleDict()
        for op, to, src in gene:
            by_src = self._ops[str(to)] if str(to) in self._ops else None
            if by_src is None:
                by_src = nn.ModuleDict()
                self._ops[str(to)] = by_src
            if str(src) not in by_src:
                by_src[str(src)] = nn.ModuleList()
            by_src[str(src)].append(
                ref_op(op, C, 2 if reduction and src < 2 else 1))
        self.multiplier = len(self._ops)

    def forward(self, s0, s1):
        states = {'0': self.preprocess0(s0), '1': self.preprocess1(s1)}
        order = []
        for to, by_src in self._ops.items():
            total = 0
            for src, ops in by_src.items():
                if src in states:
                    for op in ops:
                        total = total + op(states[src])
            states[to] = total
            order.append(to)
        return torch.cat([states[t] for t in order], 1)


class RefNetwork(nn.Module):
    """NetworkCIFAR / NetworkImageNet with either cell kind.

    Args:
        cells: per cell, ``('dco', gene)`` or ``('darts', pairs, concat)``.
        stem: ``'cifar'``, ``'imagenet'`` (/8) or ``'ddarts_imagenet'``.
        aux: build ``auxiliary_head`` on the last reduction cell
            (``imagenet_bn``: with the BN after the 2x2 conv, as D-DARTS'
            ImageNet head; DARTS' has none).
    """

    def __init__(self, cells, reductions, C, num_classes, stem='cifar',
                 aux=False, aux_bn=True):
        super().__init__()
        self.stem_kind = stem
        if stem == 'cifar':
            self.stem = nn.Sequential(nn.Conv2d(3, 3 * C, 3, 1, 1,
                                                bias=False),
                                      nn.BatchNorm2d(3 * C))
            c_pp = c_p = 3 * C
            red_prev = False
        else:
            mid = 2 if stem == 'imagenet' else 1
            self.stem0 = nn.Sequential(
                nn.Conv2d(3, C // 2, 3, 2, 1, bias=False),
                nn.BatchNorm2d(C // 2), nn.ReLU(),
                nn.Conv2d(C // 2, C, 3, mid, 1, bias=False),
                nn.BatchNorm2d(C))
            self.stem1 = nn.Sequential(nn.ReLU(),
                                       nn.Conv2d(C, C, 3, 2, 1, bias=False),
                                       nn.BatchNorm2d(C))
            c_pp = c_p = C
            red_prev = True
        self.cells = nn.ModuleList()
        c = C
        for i, spec in enumerate(cells):
            red = i in reductions
            if red:
                c *= 2
            if spec[0] == 'dco':
                cell = RefDCOCell(spec[1], c_pp, c_p, c, red, red_prev)
            else:
                cell = RefDartsCell(spec[1], spec[2], c_pp, c_p, c, red,
                                    red_prev)
            self.cells.append(cell)
            c_pp, c_p = c_p, cell.multiplier * c
            red_prev = red
            if i == reductions[-1]:
                c_aux = c_p
        if aux:
            layers = [nn.ReLU(), nn.AvgPool2d(5, 3 if stem == 'cifar' else 2,
                                              count_include_pad=False),
                      nn.Conv2d(c_aux, 128, 1, bias=False),
                      nn.BatchNorm2d(128), nn.ReLU(),
                      nn.Conv2d(128, 768, 2, bias=False)]
            if aux_bn:
                layers.append(nn.BatchNorm2d(768))
            layers.append(nn.ReLU())
            self.auxiliary_head = nn.Module()
            self.auxiliary_head.features = nn.Sequential(*layers)
            self.auxiliary_head.classifier = nn.Linear(768, num_classes)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x, return_cells=False):
        if self.stem_kind == 'cifar':
            s0 = s1 = self.stem(x)
        else:
            s0 = self.stem0(x)
            s1 = self.stem1(s0)
        outs = []
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
            outs.append(s1)
        logits = self.classifier(s1.mean((2, 3)))
        return (logits, outs) if return_cells else logits


def randomize(module, seed=0):
    """Random weights and BN statistics (so BN in eval is not identity).

    Conv and linear weights get std ``1 / sqrt(fan_in)`` so every layer keeps
    its activations O(1): with a fixed std (0.3) each 3x3 conv of 64 inputs
    multiplied them by ~7 and a 4-cell network's logits reached 1e17, where
    float32 rounding alone exceeds any fixed tolerance.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if not t.is_floating_point():
                continue
            if name.endswith('running_var'):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            elif name.endswith('weight') and t.dim() == 1:
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            elif t.dim() > 1:  # conv / linear: fan_in = t[0].numel()
                std = t[0].numel() ** -0.5
                t.copy_(torch.randn(t.shape, generator=gen) * std)
            else:  # biases, running means
                t.copy_(torch.randn(t.shape, generator=gen) * 0.3)
    return module.eval()


def darts_pairs(gene):
    """A DARTS-style gene (pairs in node order) from (op, to, from) edges."""
    return [(op, src) for op, _, src in gene]
