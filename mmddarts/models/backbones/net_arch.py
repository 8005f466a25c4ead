"""The architecture record a derived network writes into its state dict.

A :class:`DDartsNet` (and so :class:`DDartsDetBackbone`) stores, next to its
weights, the whole genotype it was built with (after Algorithm 1), its stem,
cell count, channels and the other arguments that decide its parameter
shapes, under the state-dict key ``<prefix>_extra_state`` (torch's
``get_extra_state``; ``backbone._extra_state`` in a classifier checkpoint).
It is the UTF-8 JSON text as a ``uint8`` tensor, so every checkpoint writer
(mmengine's ``weights_to_cpu`` calls ``.cpu()`` on each value) and the
``weights_only`` loader handle it like any weight. Read it with
:func:`read_net_arch`.

Every load into a derived network (``tools/test.py``, ``dist_test.sh``,
``load_from``, ``--resume``, ``init_cfg=dict(type='Pretrained')``, the
detection backbone) compares the record with the network's own and refuses a
different architecture, naming the first differing field, cell or edge
(:func:`arch_difference`); without a record (older checkpoints) a missing key
or a shape mismatch is an error, never a partial load.
"""
import json

import torch

ARCH_FORMAT = 'mmddarts.derived_net'
EXTRA_STATE = '_extra_state'
# Arguments besides the genotype that decide parameter names and shapes.
SHAPE_FIELDS = ('stem', 'channels', 'stem_multiplier', 'in_channels',
                'concat_rule')


class ArchitectureMismatchError(RuntimeError):
    """A checkpoint's derived network differs from the one being loaded."""


def encode_arch(arch):
    """The record as a ``uint8`` tensor (UTF-8 JSON)."""
    data = json.dumps(arch, sort_keys=True).encode('utf-8')
    return torch.tensor(list(data), dtype=torch.uint8)


def decode_arch(value, where='checkpoint'):
    """The record from :func:`encode_arch`'s tensor (or an already decoded
    dict); raises ``ValueError`` naming ``where`` for anything else."""
    if isinstance(value, dict):
        arch = value
    elif torch.is_tensor(value) and value.dtype == torch.uint8:
        try:
            arch = json.loads(bytes(value.tolist()).decode('utf-8'))
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise ValueError(f'{where}: unreadable derived-network record '
                             f'({err})') from None
    else:
        raise ValueError(f'{where}: not a derived-network record '
                         f'({type(value).__name__})')
    fmt = arch.get('format') if isinstance(arch, dict) else None
    if fmt != ARCH_FORMAT:
        raise ValueError(f'{where}: not a derived-network record (format '
                         f'{fmt!r})')
    return arch


def _state_dict_of(checkpoint):
    if isinstance(checkpoint, dict) and isinstance(
            checkpoint.get('state_dict'), dict):
        return checkpoint['state_dict']
    return checkpoint


def find_net_archs(checkpoint):
    """``{prefix: record}`` of every derived network of a checkpoint (a dict
    with ``state_dict``, or a state dict); ``prefix`` ends with ``'.'`` or
    is ``''``."""
    state = _state_dict_of(checkpoint)
    found = {}
    if not isinstance(state, dict):
        return found
    for key, value in state.items():
        if key == EXTRA_STATE or key.endswith('.' + EXTRA_STATE):
            try:
                found[key[:-len(EXTRA_STATE)]] = decode_arch(value, key)
            except ValueError:
                continue  # another module's extra state
    return found


def read_net_arch(checkpoint, prefix=None, where=None):
    """The derived-network record of ``checkpoint`` (a path, a checkpoint
    dict or a state dict).

    Args:
        prefix: state-dict prefix of the network (``'backbone.'``); ``None``
            takes ``'backbone.'`` if present, else the only record.
        where: name used in errors (default: the path).

    Returns:
        dict | None: the record, ``None`` when the checkpoint has none.
    """
    if isinstance(checkpoint, str):
        from mmddarts.utils.checkpoint import load_from_local_allowlisted
        where = where or checkpoint
        checkpoint = load_from_local_allowlisted(checkpoint, 'cpu')
    where = where or 'checkpoint'
    found = find_net_archs(checkpoint)
    if prefix is not None:
        prefix = prefix if not prefix or prefix.endswith('.') else \
            prefix + '.'
        return found.get(prefix)
    if 'backbone.' in found:
        return found['backbone.']
    if len(found) > 1:
        raise ValueError(f'{where} holds {len(found)} derived networks '
                         f'({sorted(found)}); say which one (prefix=)')
    return next(iter(found.values()), None)


def _edge_text(edge):
    op, to, src = edge
    return f'{op} {to}<-{src}'


def _gene_difference(cell, mine, theirs):
    mine, theirs = [tuple(e) for e in mine], [tuple(e) for e in theirs]
    for j in range(max(len(mine), len(theirs))):
        a = _edge_text(mine[j]) if j < len(mine) else 'no edge'
        b = _edge_text(theirs[j]) if j < len(theirs) else 'no edge'
        if a != b:
            return (f'cell {cell}, edge {j}: checkpoint has {b}, the network '
                    f'has {a}')
    return None


def arch_difference(mine, theirs):
    """First difference between two records that changes the network
    (``None`` when they build the same network): cell count, reduction
    cells, then cell by cell and edge by edge, then ``steps``/``op_set`` and
    the stem/width arguments. The genotype's ``meta`` is ignored except for
    the concat lists that ``concat_rule='legacy'`` reads."""
    ga, gb = mine['genotype'], theirs['genotype']
    if mine.get('num_cells') != theirs.get('num_cells'):
        return (f"num_cells: checkpoint has {theirs.get('num_cells')}, the "
                f"network has {mine.get('num_cells')}")
    ra, rb = list(ga['reductions']), list(gb['reductions'])
    if ra != rb:
        return (f'reduction cells: checkpoint has {rb}, the network has '
                f'{ra}')
    for cell, (sa, sb) in enumerate(zip(ga['seq'], gb['seq'])):
        diff = _gene_difference(cell, ga['genes'][sa], gb['genes'][sb])
        if diff:
            return diff
    for field in ('steps', 'op_set'):
        if ga.get(field) != gb.get(field):
            return (f'{field}: checkpoint has {gb.get(field)!r}, the network '
                    f'has {ga.get(field)!r}')
    # ACA: the same shapes may hold other channels (docs/aca.md)
    if ga.get('allocations') != gb.get('allocations'):
        return ('ACA channel allocations differ between the checkpoint and '
                'the network (genotype "allocations")')
    for field in SHAPE_FIELDS:
        if mine.get(field) != theirs.get(field):
            return (f'{field}: checkpoint has {theirs.get(field)!r}, the '
                    f'network has {mine.get(field)!r}')
    if mine.get('concat_rule') == 'legacy':
        a = ga.get('meta', {}).get('legacy_concat')
        b = gb.get('meta', {}).get('legacy_concat')
        if a != b:
            return (f'meta.legacy_concat: checkpoint has {b!r}, the network '
                    f'has {a!r}')
    return None


def arch_summary(arch):
    """One line naming a record (for logs)."""
    g = arch['genotype']
    return (f"{arch['num_cells']} cells (reductions {list(g['reductions'])}"
            f"), C={arch['channels']}, stem={arch['stem']!r}, "
            f"{len(g['genes'])} gene(s)")


FROM_CHECKPOINT = 'from_checkpoint'


def arch_from_init_cfg(init_cfg, owner):
    """The record of ``init_cfg``'s Pretrained checkpoint, for
    ``genotype='from_checkpoint'`` (``init_cfg.prefix`` picks the network,
    default ``backbone.`` or the only one)."""
    if not (isinstance(init_cfg, dict) and init_cfg.get('type') ==
            'Pretrained' and init_cfg.get('checkpoint')):
        raise ValueError(
            f"{owner}: genotype='{FROM_CHECKPOINT}' needs "
            "init_cfg=dict(type='Pretrained', checkpoint=PATH) to read the "
            'genotype from (tools/test.py and load_from= resolve it from '
            'their own checkpoint)')
    ckpt = init_cfg['checkpoint']
    arch = read_net_arch(ckpt, prefix=init_cfg.get('prefix'))
    if arch is None:
        raise ValueError(
            f'{owner}: checkpoint {ckpt!r} records no genotype (written '
            'before mmddarts recorded it, or not a derived network); set '
            'the genotype it was trained with instead of '
            f"'{FROM_CHECKPOINT}'")
    return arch


def arch_build_kwargs(arch):
    """Constructor arguments of :class:`DDartsNet` that rebuild the
    network of a record (genotype, channels, stem...)."""
    kwargs = dict(genotype=arch['genotype'], num_cells=None, reductions=None,
                  channels=arch['channels'], stem=arch['stem'],
                  in_channels=arch['in_channels'],
                  concat_rule=arch['concat_rule'])
    if arch.get('stem_multiplier') is not None:
        kwargs['stem_multiplier'] = arch['stem_multiplier']
    if arch.get('keep_unused_inputs') is not None:
        kwargs['keep_unused_inputs'] = arch['keep_unused_inputs']
    return kwargs


def recorded_difference(net, state_dict, key):
    """``(first difference, their record)`` when ``state_dict[key]``
    records another network than ``net``'s; ``None`` when it records the
    same one or none."""
    if key not in state_dict:
        return None
    theirs = decode_arch(state_dict[key], key)
    diff = arch_difference(net.arch_record(), theirs)
    return (diff, theirs) if diff else None


def check_state_dict(net, state_dict, prefix):
    """Refuse to load ``state_dict`` into ``net`` (a :class:`DDartsNet`
    under ``prefix``) unless it holds the same network: same record when it
    has one, every parameter and buffer present with the same shape.

    Raises:
        ArchitectureMismatchError: naming the first difference.
    """
    name = type(net).__name__
    found = recorded_difference(net, state_dict, prefix + EXTRA_STATE)
    if found:
        diff, theirs = found
        raise ArchitectureMismatchError(
            f'{name}: the checkpoint was trained with another network '
            f'({diff}). Checkpoint: {arch_summary(theirs)}; network: '
            f'{arch_summary(net.arch_record())}. Rebuild it from the '
            f"checkpoint (genotype='{FROM_CHECKPOINT}'; tools/test.py "
            'does so by default) or configure the same genotype, '
            'num_cells, reductions and channels')
    own = {k: v for k, v in net.state_dict().items() if k != EXTRA_STATE}
    missing = [prefix + k for k in own if prefix + k not in state_dict
               and not k.endswith('num_batches_tracked')]
    if missing:
        raise ArchitectureMismatchError(
            f'{name}: the checkpoint lacks {len(missing)} of its '
            f'{len(own)} tensors, e.g. {missing[:3]}: a different genotype, '
            'num_cells or channels (or a checkpoint of another model); no '
            'partial load')
    wrong = [(prefix + k, tuple(state_dict[prefix + k].shape), tuple(v.shape))
             for k, v in own.items() if prefix + k in state_dict
             and torch.is_tensor(state_dict[prefix + k])
             and state_dict[prefix + k].shape != v.shape]
    if wrong:
        k, got, want = wrong[0]
        raise ArchitectureMismatchError(
            f'{name}: {len(wrong)} size mismatch(es) between the checkpoint '
            f'and the network, e.g. {k}: checkpoint {got}, network {want} '
            '(different genotype, num_cells or channels); no partial load')
