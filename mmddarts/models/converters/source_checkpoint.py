"""Read a reference (DARTS / D-DARTS) checkpoint and describe its layout.

Both projects save ``model.state_dict()``, bare (DARTS' CIFAR weights) or in
a dict under ``'state_dict'`` (D-DARTS' ``.pth.tar`` files, DARTS' ImageNet
weights), often from ``nn.DataParallel`` (every key starts with
``module.``). Top-level modules of their ``NetworkCIFAR`` /
``NetworkImageNet``: ``stem`` (CIFAR) or ``stem0`` / ``stem1`` (ImageNet),
``cells.{k}``, ``classifier`` and, when trained with ``--auxiliary``,
``auxiliary_head``.

Cell layouts (``cells.{k}._ops...``):

* ``'darts'``: DARTS' ``Cell`` (and D-DARTS' ``Cell`` for
  ``parse_method='darts'``): an ``nn.ModuleList`` in gene order,
  ``_ops.{i}``; op ``i`` feeds node ``2 + i // 2``.
* ``'dco'``: D-DARTS' ``DCOCell``: ``_ops.{to}.{from}.{j}``, a ModuleDict
  (target node) of ModuleDicts (source node) of ModuleLists (the ``j``-th op
  on that edge, in gene order).
"""
import re
from collections import OrderedDict

import torch

LAYOUTS = ('darts', 'dco')
_OPS_KEY = re.compile(r'^cells\.(\d+)\._ops\.(.+)$')
_DCO_KEY = re.compile(r'^(\d+)\.(\d+)\.(\d+)\.(.+)$')
_DARTS_KEY = re.compile(r'^(\d+)\.(.+)$')
_CELL_KEY = re.compile(r'^cells\.(\d+)\.')


class ConversionError(ValueError):
    """A source checkpoint that does not fit the genotype; the message names
    the keys and the cell / edge they belong to."""


def load_source_state_dict(path, trust=False):
    """The state dict of a reference checkpoint file, ``module.`` stripped.

    Loads with ``weights_only=True`` (plus mmengine's allowlist); ``trust``
    allows a full unpickle for files that need it.
    """
    from mmddarts.utils.checkpoint import (load_from_local_allowlisted,
                                           trust_checkpoint)
    if trust:
        trust_checkpoint(path)
    raw = load_from_local_allowlisted(path, map_location='cpu')
    return unwrap_state_dict(raw, where=path)


def unwrap_state_dict(raw, where='checkpoint'):
    """Take ``raw['state_dict']`` (or ``raw['model']``) when present and strip
    a ``module.`` prefix shared by every key."""
    state = raw
    if isinstance(raw, dict):
        for key in ('state_dict', 'model'):
            if isinstance(raw.get(key), dict):
                state = raw[key]
                break
    if not isinstance(state, dict) or not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ConversionError(
            f'{where}: holds no state dict of tensors (looked at the top '
            "level, 'state_dict' and 'model')")
    if all(k.startswith('module.') for k in state):
        state = OrderedDict((k[len('module.'):], v) for k, v in state.items())
    return OrderedDict(state)


def detect_stem(state):
    """``'cifar'`` when the checkpoint has ``stem.*``, ``'imagenet'`` when
    it has ``stem0.*`` / ``stem1.*`` (the two ImageNet stems, DARTS' /8 and
    D-DARTS' /4, have the same weights; callers pick the stride)."""
    keys = set(state)
    if 'stem.0.weight' in keys:
        return 'cifar'
    if 'stem0.0.weight' in keys and 'stem1.1.weight' in keys:
        return 'imagenet'
    raise ConversionError(
        'cannot tell the stem: the checkpoint has neither stem.0.weight '
        '(CIFAR) nor stem0.0.weight + stem1.1.weight (ImageNet)')


def infer_channels(state, stem, stem_multiplier=3):
    """C, the node width of the first cells, from the stem's last conv."""
    if stem == 'cifar':
        out = state['stem.0.weight'].shape[0]
        if out % stem_multiplier:
            raise ConversionError(
                f'stem.0.weight has {out} output channels, not a multiple '
                f'of stem_multiplier={stem_multiplier}')
        return out // stem_multiplier
    return state['stem0.3.weight'].shape[0]


def infer_in_channels(state, stem):
    """Image channels (1 grey, 3 RGB, ...) from the stem's first conv."""
    key = 'stem.0.weight' if stem == 'cifar' else 'stem0.0.weight'
    weight = state[key]
    if len(weight.shape) != 4:
        raise ConversionError(f'{key} has shape {tuple(weight.shape)}, not '
                              'a 2-d convolution weight')
    return int(weight.shape[1])


def num_source_cells(state):
    cells = {int(m.group(1)) for m in map(_CELL_KEY.match, state) if m}
    if not cells:
        raise ConversionError('the checkpoint has no cells.{k}.* key')
    missing = sorted(set(range(max(cells) + 1)) - cells)
    if missing:
        raise ConversionError(f'the checkpoint has no key for cell(s) '
                              f'{missing} (cells 0..{max(cells)} expected)')
    return max(cells) + 1


def detect_layout(state):
    """``'dco'`` when op keys have three numeric levels after ``_ops``
    (``_ops.{to}.{from}.{j}.``; no op of either project names its own
    parameters with two leading numbers), else ``'darts'``."""
    rests = [m.group(2) for m in map(_OPS_KEY.match, state) if m]
    if not rests:
        raise ConversionError('the checkpoint has no cells.{k}._ops.* key '
                              '(parameter-free cells cannot tell the layout; '
                              'pass it explicitly)')
    dco = [bool(_DCO_KEY.match(r)) for r in rests]
    if all(dco):
        return 'dco'
    if not any(dco):
        return 'darts'
    raise ConversionError(
        'cells mix DCOCell keys (_ops.{to}.{from}.{j}.) and DARTS Cell keys '
        '(_ops.{i}.); pass the layout explicitly')


def parse_op_key(key, layout):
    """``(cell, where)`` of a ``cells.{k}._ops`` key, ``where`` being
    ``(to, from, j, suffix)`` for DCO and ``(i, suffix)`` for DARTS cells;
    None for other keys or keys that do not parse."""
    m = _OPS_KEY.match(key)
    if m is None:
        return None
    cell, rest = int(m.group(1)), m.group(2)
    sub = (_DCO_KEY if layout == 'dco' else _DARTS_KEY).match(rest)
    if sub is None:
        return None
    groups = sub.groups()
    return cell, tuple(int(g) for g in groups[:-1]) + (groups[-1], )
