"""The flat ``DDartsSearch`` options of release d025874 mapped onto an
``arch_strategy`` config, so users' configs keep running (with a
:class:`~mmddarts.utils.deprecation.MMDDartsDeprecationWarning`).

=============================================  ==============================
old ``model.*``                                new
=============================================  ==============================
``w01``, ``w_abl``, ``ablation``               ``arch_strategy.<same>`` (the
                                               ``inner`` one when unrolled)
``contribution='loo'``                         ``LeaveOneOutArchStep``
``contribution='shapley'``,                    ``ShapleyArchStep(num_
``shapley_permutations``,                      permutations, truncation)``
``shapley_truncation``
``unrolled=True``, ``unroll_lr``,              ``UnrolledArchStep(inner, lr,
``unroll_momentum``, ``unroll_weight_decay``,  momentum, weight_decay, eps)``
``unroll_eps``
``reference_dynamics=True``                    ``ReferenceDynamicsArchStep``
=============================================  ==============================

``w01``, ``w_abl`` and ``ablation`` may also be given next to a dict
``arch_strategy`` (e.g. ``--cfg-options model.ablation=exact`` on a new
config): they override its values. The variant options may be given next
to a leave-one-out ``arch_strategy`` (an old child config on a new base
config): they turn it into the variant, keeping its objective.
"""
import copy

from mmddarts.utils.deprecation import warn_deprecated
from .shapley import check_shapley_options
from .unrolled import check_unroll_options

OBJECTIVE_KEYS = ('w01', 'w_abl', 'ablation')
VARIANT_KEYS = ('reference_dynamics', 'contribution', 'shapley_permutations',
                'shapley_truncation', 'unrolled', 'unroll_lr',
                'unroll_momentum', 'unroll_weight_decay', 'unroll_eps')
LEGACY_KEYS = OBJECTIVE_KEYS + VARIANT_KEYS
CONTRIBUTIONS = ('loo', 'shapley')
DEFAULT = dict(type='mmddarts.LeaveOneOutArchStep')


def _type_name(cfg):
    return str(cfg.get('type', DEFAULT['type'])).split('.')[-1]


def _is_unrolled(cfg):
    return _type_name(cfg) == 'UnrolledArchStep'


def _from_variants(objective, opts, owner):
    contribution = opts.get('contribution', 'loo')
    if contribution not in CONTRIBUTIONS:
        raise ValueError(f'{owner}: contribution must be one of '
                         f'{CONTRIBUTIONS}, got {contribution!r}')
    # validated even when unused, as release d025874 did
    check_shapley_options(opts.get('shapley_permutations', 4),
                          opts.get('shapley_truncation', 0.0), owner,
                          ('shapley_permutations', 'shapley_truncation'))
    unroll = dict(lr=opts.get('unroll_lr'),
                  momentum=opts.get('unroll_momentum'),
                  weight_decay=opts.get('unroll_weight_decay'),
                  eps=opts.get('unroll_eps', 0.01))
    check_unroll_options(*unroll.values(), owner,
                         ('unroll_lr', 'unroll_momentum',
                          'unroll_weight_decay', 'unroll_eps'))
    unrolled = bool(opts.get('unrolled', False))
    if opts.get('reference_dynamics'):
        if unrolled or contribution != 'loo':
            raise ValueError(
                f'{owner}: reference_dynamics=True reproduces the authors\' '
                'first-order leave-one-out loop; it cannot be combined with '
                f'unrolled={unrolled} / contribution={contribution!r}')
        return dict(type='mmddarts.ReferenceDynamicsArchStep', **objective)
    if contribution == 'shapley':
        cfg = dict(type='mmddarts.ShapleyArchStep',
                   num_permutations=opts.get('shapley_permutations', 4),
                   truncation=opts.get('shapley_truncation', 0.0),
                   **objective)
    else:
        cfg = dict(type='mmddarts.LeaveOneOutArchStep', **objective)
    if unrolled:
        cfg = dict(type='mmddarts.UnrolledArchStep', inner=cfg, **unroll)
    return cfg


def arch_strategy_cfg(arch_strategy, legacy, owner='DDartsSearch'):
    """The strategy (config or object) to build from ``arch_strategy`` and
    the old flat options ``legacy`` (a dict of keyword arguments).

    Raises:
        TypeError: an unknown keyword, or old options next to a built
            strategy object.
        ValueError: variant options next to ``arch_strategy``, or invalid
            old options (the message names the old key).
    """
    unknown = sorted(set(legacy) - set(LEGACY_KEYS))
    if unknown:
        raise TypeError(f'{owner}: unexpected keyword argument(s) {unknown}')
    if not legacy:
        return copy.deepcopy(DEFAULT) if arch_strategy is None \
            else arch_strategy
    objective = {k: legacy[k] for k in OBJECTIVE_KEYS if k in legacy}
    variants = {k: legacy[k] for k in VARIANT_KEYS if k in legacy}
    if arch_strategy is None:
        cfg = _from_variants(objective, variants, owner)
        warn_deprecated(
            f'{owner}: the flat options {sorted(legacy)} are deprecated; '
            f'use arch_strategy={cfg!r}', stacklevel=4)
        return cfg
    if variants:
        # an old child config (``unrolled=True``...) on a new base config:
        # the base's leave-one-out objective under the old variant
        base = arch_strategy if isinstance(arch_strategy, dict) else {}
        if (set(base) - {'type', *OBJECTIVE_KEYS}
                or _type_name(base) != 'LeaveOneOutArchStep'):
            raise ValueError(
                f'{owner}: got arch_strategy={arch_strategy!r} and the old '
                f'options {sorted(variants)}, which choose the strategy '
                'too; set them in arch_strategy (see '
                'mmddarts.models.arch_steps.legacy)')
        merged = {k: base[k] for k in OBJECTIVE_KEYS if k in base}
        merged.update(objective)
        cfg = _from_variants(merged, variants, owner)
        warn_deprecated(
            f'{owner}: the flat options {sorted(legacy)} are deprecated; '
            f'use arch_strategy={cfg!r}', stacklevel=4)
        return cfg
    if not isinstance(arch_strategy, dict):
        raise TypeError(
            f'{owner}: {sorted(objective)} cannot override a built '
            f'{type(arch_strategy).__name__}; set them on it')
    cfg = copy.deepcopy(dict(arch_strategy))
    target = cfg
    if _is_unrolled(cfg):
        target = cfg['inner'] = dict(cfg.get('inner') or DEFAULT)
    target.update(objective)
    warn_deprecated(
        f'{owner}: {sorted(objective)} are deprecated next to '
        f'arch_strategy; set arch_strategy.{next(iter(objective))} '
        '(or its inner one) instead', stacklevel=4)
    return cfg
