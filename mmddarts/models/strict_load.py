"""The one checkpoint-loading path of the tools: all of it, or an error.

mmengine's ``load_checkpoint`` (and the Runner's ``load_from``) load
non-strictly: a tensor of another shape or name is skipped with a log line,
so a checkpoint of another config gives a partly random model and a wrong
result with exit code 0. :func:`check_checkpoint` compares a checkpoint with
a model before anything is copied: a missing tensor, an unexpected one or a
size mismatch anywhere (backbone, heads, neck, supernet alphas) raises
:class:`CheckpointMismatchError`, one message naming the mismatch, its
likely cause (a search checkpoint for a training config or the reverse,
another config, other ``--cfg-options``) and the fix; :func:`load_strict`
then loads it. Used by ``tools/test.py``, ``tools/export_genotype.py``,
``tools/deployment/pytorch2onnx.py``.

Tolerated: a missing ``num_batches_tracked`` (converted checkpoints) and a
missing ``_extra_state`` record (checkpoints written before mmddarts
recorded networks).
"""
import re

TOLERATED_MISSING = ('num_batches_tracked', '_extra_state')
_ALPHA_KEY = re.compile(r'(^|\.)alphas\.\d+$')


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not hold exactly the model's tensors."""


def read_checkpoint(checkpoint):
    """A loaded checkpoint dict from a path (local, allowlisted loader) or
    a dict."""
    if isinstance(checkpoint, str):
        from mmddarts.utils.checkpoint import load_from_local_allowlisted
        return load_from_local_allowlisted(checkpoint, 'cpu')
    return checkpoint


def state_dict_of(checkpoint):
    """The state dict of a checkpoint, ``module.`` (DDP) prefixes dropped
    as mmengine's loader does."""
    state = checkpoint.get('state_dict', checkpoint) if isinstance(
        checkpoint, dict) else checkpoint
    return {re.sub(r'^module\.', '', k): v for k, v in state.items()}


def state_kind(state):
    """``'search'`` (a supernet's alphas), ``'derived'`` (a derived-network
    record) or ``'other'``."""
    if any(_ALPHA_KEY.search(k) for k in state):
        return 'search'
    from mmddarts.models.backbones.net_arch import find_net_archs
    if find_net_archs(state):
        return 'derived'
    return 'other'


def run_name(checkpoint):
    """The run that wrote a checkpoint (mmengine's ``experiment_name`` is
    ``<config name>_<timestamp>``), or ``None``."""
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    name = meta.get('experiment_name') if isinstance(meta, dict) else None
    return name if isinstance(name, str) else None


def checkpoint_config_name(checkpoint):
    """The config file name (stem) the run of a checkpoint used."""
    name = run_name(checkpoint)
    if not name:
        return None
    m = re.match(r'^(.*)_\d{8}_\d{6}$', name)
    return m.group(1) if m else name


def state_difference(model_state, state):
    """``(missing, unexpected, wrong)``: keys the checkpoint lacks, keys the
    model lacks, ``(key, checkpoint shape, model shape)`` of size
    mismatches."""
    missing = [k for k in model_state if k not in state
               and not k.endswith(TOLERATED_MISSING)]
    unexpected = [k for k in state if k not in model_state]
    wrong = []
    for k, v in model_state.items():
        got = state.get(k)
        if k.endswith('_extra_state') or got is None or not hasattr(
                got, 'shape') or not hasattr(v, 'shape'):
            continue
        if tuple(got.shape) != tuple(v.shape):
            wrong.append((k, tuple(got.shape), tuple(v.shape)))
    return missing, unexpected, wrong


def _supernet_records(model_state, state):
    from mmddarts.models.search.supernet_arch import (SUPERNET_FORMAT,
                                                      decode_record)
    for key in sorted(model_state):
        if key.endswith('_extra_state'):
            mine = decode_record(model_state[key], SUPERNET_FORMAT)
            if mine is not None:
                theirs = decode_record(state.get(key), SUPERNET_FORMAT)
                return key[:-len('_extra_state')], mine, theirs
    return None, None, None


def _cause(model_state, state, ckpt_kind, model_kind, source):
    """Likely cause and fix of a mismatch (one or two sentences)."""
    from mmddarts.models.search.supernet_arch import (cfg_options_for,
                                                      record_differences,
                                                      record_summary)
    if ckpt_kind == 'search' and model_kind != 'search':
        return ('it is a SEARCH checkpoint (a supernet with alphas) and the '
                'config builds a trained network. Export its genotype '
                '(python tools/export_genotype.py CHECKPOINT) and train it '
                'with a configs/train/ config, or give the search config')
    if ckpt_kind != 'search' and model_kind == 'search':
        return ('it is a TRAINING checkpoint (no supernet alphas) and the '
                'config is a search config. A trained network already has '
                'its genotype (recorded in the checkpoint); use its training '
                'config, or give a search checkpoint (work_dirs/search/'
                '<config>/epoch_N.pth)')
    if ckpt_kind == 'search':
        prefix, mine, theirs = _supernet_records(model_state, state)
        if mine is not None and theirs is not None:
            diffs = record_differences(mine, theirs)
            if diffs:
                what = '; '.join(f'{f}: checkpoint {got}, config {want}'
                                 for f, got, want in diffs)
                opts = ' '.join(cfg_options_for(
                    theirs, 'model.' + prefix.rstrip('.'), mine))
                fix = (f', e.g. --cfg-options {opts}' if opts else '')
                return (f'it was searched with another supernet ({what}; '
                        f'checkpoint: {record_summary(theirs)}), i.e. '
                        'another config or other --cfg-options. Run '
                        'tools/export_genotype.py CHECKPOINT without a '
                        'config (it rebuilds the recorded supernet), or '
                        f'pass the search\'s own --cfg-options{fix}')
        return ('it was searched with another config or other '
                '--cfg-options (num_cells, C, reductions, op_set, '
                'num_classes); pass the config and --cfg-options it was '
                'searched with')
    if ckpt_kind == 'derived':
        from mmddarts.models.backbones.net_arch import (arch_difference,
                                                        find_net_archs)
        theirs = find_net_archs(state)
        for prefix, mine in sorted(find_net_archs(model_state).items()):
            if prefix in theirs:
                diff = arch_difference(mine, theirs[prefix])
                if diff:
                    return (f'it was trained with another network '
                            f'({prefix or "the network"}: {diff}). Build '
                            'the network the checkpoint records '
                            '(tools/test.py and pytorch2onnx.py do by '
                            "default; genotype='from_checkpoint' in a "
                            'config) or configure the same genotype, '
                            'num_cells and channels')
    return ('it was trained with another config or other --cfg-options '
            '(e.g. num_classes, channels, cells, a neck or head of another '
            f'size); pass the config it was trained with{source} and the '
            'same --cfg-options')


def _examples(keys, n=3):
    more = f' and {len(keys) - n} more' if len(keys) > n else ''
    return ', '.join(keys[:n]) + more


def check_checkpoint(model, checkpoint, where='load', ckpt_name=None,
                     config=None):
    """Raise :class:`CheckpointMismatchError` unless ``checkpoint`` (path or
    loaded dict) holds exactly ``model``'s tensors with their shapes.

    Returns:
        dict: the loaded checkpoint.
    """
    if ckpt_name is None:
        ckpt_name = checkpoint if isinstance(checkpoint, str) else \
            'the checkpoint'
    checkpoint = read_checkpoint(checkpoint)
    state = state_dict_of(checkpoint)
    model = getattr(model, 'module', model)  # DDP wrappers
    model_state = model.state_dict()
    missing, unexpected, wrong = state_difference(model_state, state)
    if not (missing or unexpected or wrong):
        return checkpoint
    parts = []
    if wrong:
        k, got, want = wrong[0]
        parts.append(f'{len(wrong)} size mismatch(es), e.g. {k}: checkpoint '
                     f'{list(got)}, model {list(want)}')
    if missing:
        parts.append(f'{len(missing)} tensor(s) missing from the checkpoint'
                     f', e.g. {_examples(missing)}')
    if unexpected:
        parts.append(f'{len(unexpected)} unexpected tensor(s) in it, e.g. '
                     f'{_examples(unexpected)}')
    cfg_name = checkpoint_config_name(checkpoint)
    source = f' (its run: {cfg_name})' if cfg_name else ''
    cause = _cause(model_state, state, state_kind(state),
                   state_kind(model_state), source)
    against = f'the model of {config}' if config else 'the model'
    raise CheckpointMismatchError(
        f'{where}: {ckpt_name} does not fit {against}: '
        + '; '.join(parts) + f'. Likely cause: {cause}. Nothing was loaded '
        '(no partial load).')


def load_strict(model, checkpoint, where='load', ckpt_name=None,
                config=None):
    """:func:`check_checkpoint`, then load every tensor into ``model``.

    Returns:
        dict: the loaded checkpoint (``meta`` etc.).
    """
    checkpoint = check_checkpoint(model, checkpoint, where, ckpt_name,
                                  config)
    target = getattr(model, 'module', model)
    state = state_dict_of(checkpoint)
    result = target.load_state_dict(state, strict=False)
    # only the tolerated keys can be left (checked above)
    assert not result.unexpected_keys, result.unexpected_keys
    return checkpoint
