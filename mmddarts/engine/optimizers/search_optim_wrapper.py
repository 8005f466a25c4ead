"""Optimizer wrappers of a search that never read a tensor on the host.

mmengine's ``OptimWrapper._clip_grad`` writes ``float(grad_norm)`` into the
message hub: a device synchronisation in every weight step. These wrappers
clip with torch's multi-tensor (``foreach``) kernels and keep the norm as a
device tensor (:meth:`pop_grad_norm`); ``DDartsSearch.weight_step`` returns
it as the ``grad_norm`` log var, so the logger still shows
``train/grad_norm`` (mmengine's ``RuntimeInfoHook`` writes every log var
under ``train/``) and the value reaches the host with the iteration's other
log values, in one copy.

:class:`~.SearchOptimWrapperConstructor` builds the members of type
``OptimWrapper`` / ``AmpOptimWrapper`` as these subclasses, and sets
``fused=True`` (or ``foreach=True``) on their optimizers
(:func:`multi_tensor_options`).
"""
import inspect

from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmddarts.registry import OPTIM_WRAPPERS

# optimizer types (as configs name them) with fused kernels for every float
# dtype on the devices of torch.utils._foreach_utils'
# _get_fused_kernels_supported_devices(), including the CPU
FUSED_OPTIMIZERS = ('Adam', 'AdamW', 'SGD')
# config type -> the subclass the search constructor builds instead
SEARCH_WRAPPER_TYPES = {
    'OptimWrapper': 'mmddarts.SearchOptimWrapper',
    'mmengine.OptimWrapper': 'mmddarts.SearchOptimWrapper',
    'AmpOptimWrapper': 'mmddarts.SearchAmpOptimWrapper',
    'mmengine.AmpOptimWrapper': 'mmddarts.SearchAmpOptimWrapper',
}


def _fused_devices():
    try:
        from torch.utils._foreach_utils import \
            _get_fused_kernels_supported_devices
        return set(_get_fused_kernels_supported_devices())
    except ImportError:  # older torch: CUDA only
        return {'cuda'}


def multi_tensor_options(optim_cfg, optim_cls, params):
    """``optim_cfg`` with ``fused=True`` where torch has a fused kernel for
    the optimizer, every parameter's device and dtype, else ``foreach=True``
    where the optimizer takes it; unchanged when the config sets ``fused``
    or ``foreach`` itself (``foreach=False``: the per-parameter loop).

    Both give the per-parameter loop's updates (up to rounding; float64:
    ``tests/test_engine/test_search_optim_wrapper.py``) in one or a few
    kernels per step instead of several per parameter, and fused Adam reads
    no step counter on the host.
    """
    cfg = dict(optim_cfg)
    if 'fused' in cfg or 'foreach' in cfg or not isinstance(optim_cls, type):
        return cfg
    try:
        accepted = inspect.signature(optim_cls.__init__).parameters
    except (TypeError, ValueError):
        return cfg
    name = optim_cls.__name__
    flat = []
    for p in params:
        flat.extend(p['params'] if isinstance(p, dict) else [p])
    devices = _fused_devices()
    fusable = (name in FUSED_OPTIMIZERS and 'fused' in accepted and
               optim_cls.__module__.startswith('torch.optim') and all(
                   p.device.type in devices and p.is_floating_point()
                   and not p.is_complex() for p in flat))
    if fusable:
        cfg['fused'] = True
    elif 'foreach' in accepted:
        cfg['foreach'] = True
    return cfg


class DeviceGradNormMixin:
    """``_clip_grad`` with foreach kernels and the norm kept on device."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._grad_norm = None
        if self.clip_grad_kwargs and 'foreach' not in self.clip_grad_kwargs:
            # torch's clip functions default to foreach on CUDA only
            self.clip_grad_kwargs['foreach'] = True

    def _clip_grad(self):
        params = [p for group in self.optimizer.param_groups
                  for p in group['params']
                  if p.requires_grad and p.grad is not None]
        if params:
            norm = self.clip_func(params, **self.clip_grad_kwargs)
            # clip_grad_value_ returns None (mmengine logs nothing then)
            self._grad_norm = None if norm is None else norm.detach()

    def pop_grad_norm(self):
        """The total gradient norm of the last clipped step (a 0-d device
        tensor, before clipping; ``None`` if none since the last pop)."""
        norm, self._grad_norm = self._grad_norm, None
        return norm


@OPTIM_WRAPPERS.register_module()
class SearchOptimWrapper(DeviceGradNormMixin, OptimWrapper):
    """mmengine's ``OptimWrapper`` with :class:`DeviceGradNormMixin`."""


@OPTIM_WRAPPERS.register_module()
class SearchAmpOptimWrapper(DeviceGradNormMixin, AmpOptimWrapper):
    """mmengine's ``AmpOptimWrapper`` with :class:`DeviceGradNormMixin`."""
