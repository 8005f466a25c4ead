"""Reading and setting search options in a config's ``model`` dict, whether
it is written the current way (``arch_strategy=dict(...)``, supernet
``channels`` and ``ablation_cfg``) or the way of release d025874 (flat
``model.ablation``, ``model.w01``..., supernet ``C``). Plain dicts only:
tools and the memory planner use it before anything is built.
"""

DEFAULT_ARCH_STRATEGY = 'mmddarts.LeaveOneOutArchStep'


def objective_cfg(model_cfg):
    """The dict holding ``w01``, ``w_abl`` and ``ablation``: the
    ``arch_strategy`` (its ``inner`` one when unrolled), or ``model_cfg``
    itself for a flat config."""
    strategy = model_cfg.get('arch_strategy')
    if not isinstance(strategy, dict):
        return model_cfg
    inner = strategy.get('inner')
    if str(strategy.get('type', '')).endswith('UnrolledArchStep'):
        if not isinstance(inner, dict):
            inner = strategy['inner'] = dict(type=DEFAULT_ARCH_STRATEGY)
        return inner
    return strategy


def objective_key(model_cfg, key):
    """Dotted config key of ``key`` (``'ablation'``, ``'w01'``, ``'w_abl'``)
    under ``model``, for ``--cfg-options``."""
    strategy = model_cfg.get('arch_strategy')
    if not isinstance(strategy, dict):
        return f'model.{key}'
    if str(strategy.get('type', '')).endswith('UnrolledArchStep'):
        return f'model.arch_strategy.inner.{key}'
    return f'model.arch_strategy.{key}'


def get_objective(model_cfg, key, default=None):
    """``key``'s value; a flat ``model.<key>`` wins, as in DDartsSearch."""
    if key in model_cfg:
        return model_cfg[key]
    return objective_cfg(model_cfg).get(key, default)


def set_ablation_mode(model_cfg, mode):
    """Set the ablation mode in place (where the config keeps it)."""
    if 'ablation' in model_cfg:
        model_cfg['ablation'] = mode
    else:
        objective_cfg(model_cfg)['ablation'] = mode


def width_key(arch_cfg):
    """``'C'`` where a (d025874-style) supernet config names the width so,
    else ``'channels'``."""
    return 'C' if 'C' in arch_cfg and 'channels' not in arch_cfg \
        else 'channels'
