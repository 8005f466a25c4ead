"""The structure record a search supernet writes into its state dict.

A derived network records its genotype (``backbone._extra_state``, see
:mod:`mmddarts.models.backbones.net_arch`); a supernet records, the same
way, the constructor arguments that decide its parameter names and shapes
and how its alphas parse (cells, reductions, alpha owners, op columns,
channels, mixing; a DARTOpti supernet its baseline genotype), under
``architecture._extra_state`` of a search checkpoint. The search algorithm
records its parsing defaults (``parse_methods``, ``threshold``) under the
top-level ``_extra_state``. With both, ``tools/export_genotype.py
CHECKPOINT`` rebuilds the supernet and parses its alphas without a config
(:func:`build_supernet_from_record`), and every strict load names the first
differing field (:func:`record_difference`).
"""
import json

import torch

SUPERNET_FORMAT = 'mmddarts.supernet'
SEARCH_FORMAT = 'mmddarts.search'
# Fields compared by record_difference, in the order a user thinks of them.
STRUCTURE_FIELDS = ('type', 'num_cells', 'reductions', 'alpha_owners',
                    'steps', 'op_names', 'channels', 'stem_multiplier',
                    'in_channels', 'num_classes', 'mixing')
# The config key that sets each field (for the suggested --cfg-options).
CONFIG_KEYS = dict(num_cells='num_cells', reductions='reductions',
                   alpha_owners='alpha_owners', steps='steps', op_names=(
                       'op_set'), channels='channels',
                   stem_multiplier='stem_multiplier',
                   in_channels='in_channels', num_classes='num_classes',
                   mixing='mixing')


def encode_record(record):
    """A JSON-able dict as a ``uint8`` tensor (what checkpoints hold)."""
    data = json.dumps(record, sort_keys=True).encode('utf-8')
    return torch.tensor(list(data), dtype=torch.uint8)


def decode_record(value, fmt, where='checkpoint'):
    """The dict of :func:`encode_record` if its ``format`` is ``fmt``,
    else ``None`` (another module's extra state, or unreadable)."""
    if isinstance(value, dict):
        record = value
    elif torch.is_tensor(value) and value.dtype == torch.uint8:
        try:
            record = json.loads(bytes(value.tolist()).decode('utf-8'))
        except (UnicodeDecodeError, ValueError):
            return None
    else:
        return None
    if not isinstance(record, dict) or record.get('format') != fmt:
        return None
    return record


def supernet_record(net):
    """The record of a :class:`DDartsSupernet` (or DARTOpti) instance."""
    rec = dict(format=SUPERNET_FORMAT, type=type(net).__name__,
               num_cells=net.num_cells, reductions=list(net.reductions),
               alpha_owners=list(net.alpha_owners), steps=net.steps,
               op_names=list(net.op_names), op_set=net.op_set,
               mixing=net.mixing, **net.shape_args)
    baseline = getattr(net, 'baseline', None)
    if baseline is not None:  # DARTOpti: its layout and alpha init
        rec.update(baseline=baseline.to_dict(),
                   baseline_name=net.baseline_name,
                   init_high=net.init_high, init_low=net.init_low)
    return rec


def record_difference(mine, theirs):
    """First structure field where two supernet records differ, as
    ``(field, checkpoint value, network value)``; ``None`` when equal."""
    for field in STRUCTURE_FIELDS:
        if mine.get(field) != theirs.get(field):
            return field, theirs.get(field), mine.get(field)
    return None


def record_differences(mine, theirs):
    """Every structure field where two records differ (as
    :func:`record_difference`), plus the config-level ``op_set``."""
    out = [(f, theirs.get(f), mine.get(f)) for f in STRUCTURE_FIELDS
           if mine.get(f) != theirs.get(f)]
    if mine.get('op_set') != theirs.get('op_set'):
        out.append(('op_set', theirs.get('op_set'), mine.get('op_set')))
    return out


def record_summary(rec):
    """One line naming a supernet record (for messages)."""
    return (f"{rec.get('type')}: {rec.get('num_cells')} cells (reductions "
            f"{rec.get('reductions')}), channels={rec.get('channels')}, "
            f"{len(set(rec.get('alpha_owners') or ()))} alpha owner(s), "
            f"{len(rec.get('op_names') or ())} ops ({rec.get('op_set')}), "
            f"{rec.get('num_classes')} classes")


def cfg_options_for(rec, prefix='model.architecture', mine=None):
    """``--cfg-options`` that make a config's supernet the recorded one
    (for the fields a config sets directly; with ``mine``, another record,
    only those that differ from it)."""
    if rec.get('type') == 'DARTOptiSupernet':
        keys = ('channels', 'num_classes', 'op_set', 'mixing',
                'stem_multiplier', 'in_channels')
    else:
        keys = ('num_cells', 'reductions', 'channels', 'steps',
                'num_classes', 'op_set', 'mixing', 'stem_multiplier',
                'in_channels')
    out = []
    for k in keys:
        if rec.get(k) is None or (mine is not None
                                  and mine.get(k) == rec.get(k)):
            continue
        v = rec[k]
        text = (f"'{v}'" if isinstance(v, str) else
                '[' + ','.join(str(x) for x in v) + ']' if isinstance(
                    v, (list, tuple)) else str(v))
        out.append(f'{prefix}.{k}={text}')
    return out


def build_supernet_from_record(rec):
    """A supernet with the recorded structure (random weights, to be loaded
    from the same checkpoint)."""
    from mmddarts.registry import MODELS
    common = dict(num_classes=rec['num_classes'], channels=rec['channels'],
                  stem_multiplier=rec['stem_multiplier'],
                  in_channels=rec['in_channels'], mixing=rec['mixing'],
                  op_set=rec['op_set'],
                  with_none=bool(rec['op_names']) and
                  rec['op_names'][0] == 'none')
    if rec['type'] == 'DARTOptiSupernet':
        return MODELS.build(dict(
            type='DARTOptiSupernet', baseline=rec['baseline'],
            init_high=rec['init_high'], init_low=rec['init_low'], **common))
    return MODELS.build(dict(
        type='DDartsSupernet', num_cells=rec['num_cells'],
        steps=rec['steps'], reductions=rec['reductions'],
        alpha_owners=rec['alpha_owners'], **common))
