"""Warn about ``--cfg-options`` that name a config *variable*.

A Python config like ``max_epochs = 4`` / ``train_cfg = dict(max_epochs=
max_epochs)`` is evaluated when the file is read: ``train_cfg.max_epochs``
already holds 4, and ``--cfg-options max_epochs=1`` only changes the unused
top-level ``max_epochs``. :func:`consumed_variable_warnings` finds such
options and says which keys to set instead.
"""
from typing import Any, Iterator, List, Tuple

# Top-level keys the Runner (or our tools) read themselves: overriding them
# works, whatever their value type.
RUNNER_KEYS = frozenset({
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'runner_type', 'custom_imports', 'model_wrapper_cfg', 'compile', 'cfg',
    'strategy', 'find_unused_parameters',
})
# Top-level keys that ``apply_cfg_options`` propagates itself.
PROPAGATED_KEYS = frozenset({'data_root', 'check_md5'})


def _walk(node: Any, path: str) -> Iterator[Tuple[str, Any]]:
    """``(dotted path, value)`` of every leaf under ``node``."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f'{path}.{k}' if path else str(k))
    elif isinstance(node, (list, tuple)) and any(
            isinstance(v, (dict, list, tuple)) for v in node):
        for i, v in enumerate(node):
            yield from _walk(v, f'{path}.{i}')
    else:
        yield path, node


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def copies_of(cfg, key: str) -> List[str]:
    """Dotted paths below the top level that hold a copy of the top-level
    variable ``key``: those whose last name is ``key`` (and value the
    variable's), else every leaf with the variable's value."""
    value = cfg[key]
    leaves = [(p, v) for top, node in cfg.items() if top != key
              for p, v in _walk(node, top) if '.' in p]
    named = [p for p, v in leaves
             if p.rsplit('.', 1)[-1] == key and _same(v, value)]
    if named:
        return named
    if isinstance(value, (bool, type(None))):
        return []  # True/None are everywhere: no useful guess
    return [p for p, v in leaves if _same(v, value)]


def consumed_variable_warnings(cfg, options) -> List[str]:
    """One message per ``--cfg-options`` key that names a top-level config
    variable (not a Runner field) already substituted where it is used.

    Call it with the config as loaded, before the options are merged."""
    messages = []
    for key in options or {}:
        if '.' in key or key in RUNNER_KEYS or key in PROPAGATED_KEYS:
            continue
        if key not in cfg or isinstance(cfg[key], dict):
            continue
        paths = copies_of(cfg, key)
        where = (', '.join(paths[:4]) + (' ...' if len(paths) > 4 else '')
                 if paths else 'the keys that use it')
        messages.append(
            f'--cfg-options {key}=...: `{key}` is a variable of the config, '
            'already substituted when the file was read, so changing it '
            f'changes nothing; set {where} instead (and any other key '
            'computed from it)')
    return messages


def warn_consumed_variables(cfg, options) -> List[str]:
    """Print :func:`consumed_variable_warnings` to stderr (rank 0 only)."""
    import os
    import sys
    messages = consumed_variable_warnings(cfg, options)
    if os.environ.get('RANK', '0') == '0':
        for msg in messages:
            print(f'WARNING: {msg}', file=sys.stderr)
    return messages
