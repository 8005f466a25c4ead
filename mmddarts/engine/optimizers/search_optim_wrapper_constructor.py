"""Builds the two optimizers of a search as one ``OptimWrapperDict``.

mmengine's default constructor builds one optimizer over ``model.parameters()``
and its multi-optimizer support expects one sub-module per optimizer. A
supernet mixes alphas and weights in the same modules, so this constructor
asks the model for ``arch_parameters()`` and ``weight_parameters()``::

    optim_wrapper = dict(
        constructor='mmddarts.SearchOptimWrapperConstructor',
        architecture=dict(optimizer=dict(type='Adam', lr=3e-3, ...)),
        weights=dict(optimizer=dict(type='SGD', lr=0.005, ...),
                     clip_grad=dict(max_norm=5)))

Top-level ``type`` / ``loss_scale`` / ``dtype`` keys (what ``tools/train.py
--amp`` sets on ``cfg.optim_wrapper``) apply to both sub-wrappers, so AMP
needs no per-key edit.

Per-parameter options go under one member, in mmengine's ``paramwise_cfg``
format (``norm_decay_mult``, ``bias_decay_mult``, ``custom_keys``, ...)::

    weights=dict(optimizer=dict(type='SGD', lr=0.005, weight_decay=3e-4),
                 paramwise_cfg=dict(norm_decay_mult=0.,
                                    custom_keys={'classifier': dict(
                                        lr_mult=0.1)}))

mmengine's ``DefaultOptimWrapperConstructor`` computes the groups over the
whole search model (``custom_keys`` match names such as
``architecture.classifier``) and only the member's own parameters are kept.
A top-level ``paramwise_cfg`` is refused: it would be ambiguous between the
two optimizers.

Members of type ``OptimWrapper`` / ``AmpOptimWrapper`` are built as
``mmddarts.SearchOptimWrapper`` / ``SearchAmpOptimWrapper`` (foreach
clipping, the gradient norm logged without a host read), and their
optimizers get ``fused=True`` where torch has a fused kernel (Adam, AdamW,
SGD), else ``foreach=True``, unless the optimizer config sets ``fused`` or
``foreach`` itself (:mod:`.search_optim_wrapper`).
"""
import copy

from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmengine.registry import OPTIMIZERS

from mmddarts.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS
from .amp_options import resolve_amp_member
from .search_optim_wrapper import SEARCH_WRAPPER_TYPES, multi_tensor_options

PARAM_GETTERS = dict(
    architecture='arch_parameters', weights='weight_parameters')
SHARED_KEYS = ('type', 'loss_scale', 'dtype')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SearchOptimWrapperConstructor:
    """``architecture`` -> alphas, ``weights`` -> network weights."""

    def __init__(self, optim_wrapper_cfg, paramwise_cfg=None):
        if paramwise_cfg:
            raise ValueError(
                'SearchOptimWrapperConstructor: a top-level paramwise_cfg is '
                'not supported (it would apply to both optimizers); set it '
                'per optimizer: optim_wrapper.weights.paramwise_cfg / '
                'optim_wrapper.architecture.paramwise_cfg')
        cfg = copy.deepcopy(dict(optim_wrapper_cfg))
        shared = {k: cfg.pop(k) for k in SHARED_KEYS if k in cfg}
        missing = [k for k in PARAM_GETTERS if k not in cfg]
        unknown = sorted(set(cfg) - set(PARAM_GETTERS))
        if missing or unknown:
            raise KeyError(
                'SearchOptimWrapperConstructor: optim_wrapper needs exactly '
                f'the keys {sorted(PARAM_GETTERS)} (plus shared '
                f'{list(SHARED_KEYS)}); missing {missing}, unknown {unknown}')
        for name in PARAM_GETTERS:
            sub = dict(cfg[name])
            if 'optimizer' not in sub:
                raise KeyError(f'SearchOptimWrapperConstructor: '
                               f'optim_wrapper.{name} has no optimizer')
            if sub.get('accumulative_counts', 1) != 1:
                # DDartsSearch steps both optimizers every iteration (the
                # arch step never goes through the wrapper's backward):
                # accumulation would be silently ignored.
                raise ValueError(
                    f'SearchOptimWrapperConstructor: optim_wrapper.{name}.'
                    f'accumulative_counts={sub["accumulative_counts"]} is '
                    'not supported by the search; use a larger batch')
            if shared.get('type', 'OptimWrapper') != 'OptimWrapper':
                # --amp: the shared type overrides a plain sub-wrapper type.
                if sub.get('type', 'OptimWrapper') == 'OptimWrapper':
                    sub['type'] = shared['type']
            sub.setdefault('type', 'OptimWrapper')
            # top-level dtype / loss_scale reach every AMP member (they used
            # to be dropped unless the top level also named the type)
            cfg[name] = resolve_amp_member(
                sub, {k: v for k, v in shared.items() if k != 'type'},
                f'optim_wrapper.{name}')
        self.cfgs = cfg

    def __call__(self, model):
        if is_model_wrapper(model):
            model = model.module
        wrappers = {}
        for name, getter in PARAM_GETTERS.items():
            if not hasattr(model, getter):
                raise AttributeError(
                    f'SearchOptimWrapperConstructor: {type(model).__name__} '
                    f'has no {getter}(); use a search algorithm such as '
                    'mmddarts.DDartsSearch')
            params = list(getattr(model, getter)())
            if not params:
                raise ValueError(f'SearchOptimWrapperConstructor: '
                                 f'{type(model).__name__}.{getter}() is empty')
            cfg = copy.deepcopy(self.cfgs[name])
            optim_cfg = cfg.pop('optimizer')
            paramwise = cfg.pop('paramwise_cfg', None)
            if paramwise:
                params = self._param_groups(model, name, optim_cfg,
                                            paramwise, params)
            otype = optim_cfg.get('type')
            optim_cfg = multi_tensor_options(
                optim_cfg, otype if isinstance(otype, type) else
                OPTIMIZERS.get(otype), params)
            optim_cfg['params'] = params
            optimizer = OPTIMIZERS.build(optim_cfg)
            cfg['type'] = SEARCH_WRAPPER_TYPES.get(cfg['type'], cfg['type'])
            wrappers[name] = OPTIM_WRAPPERS.build(
                cfg, default_args=dict(optimizer=optimizer))
        return OptimWrapperDict(**wrappers)

    @staticmethod
    def _param_groups(model, name, optim_cfg, paramwise, params):
        """mmengine's per-parameter groups, restricted to ``params``."""
        try:
            builder = DefaultOptimWrapperConstructor(
                dict(optimizer=copy.deepcopy(optim_cfg)),
                copy.deepcopy(paramwise))
            groups = []
            builder.add_params(groups, model)
        except (ValueError, TypeError, KeyError) as err:
            # e.g. mmengine's 'base_wd should not be None' for decay mults
            raise type(err)(
                f'SearchOptimWrapperConstructor: optim_wrapper.{name}.'
                f'paramwise_cfg={paramwise}: {err}') from err
        own = {id(p) for p in params}
        groups = [g for g in groups if id(g['params'][0]) in own]
        covered = {id(g['params'][0]) for g in groups}
        if covered != own:
            raise ValueError(
                f'SearchOptimWrapperConstructor: optim_wrapper.{name}.'
                f'paramwise_cfg: {len(own - covered)} of the {name} '
                'parameters are not reachable as named parameters of the '
                'model (or were dropped as duplicates), so no group holds '
                'them')
        return groups
