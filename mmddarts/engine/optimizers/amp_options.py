"""Switching an optimizer-wrapper config to AMP, and validating its options.

``tools/train.py --amp`` turns wrappers into mmengine's ``AmpOptimWrapper``
(:func:`set_amp`);
its ``dtype`` (fp16 or bf16) and ``loss_scale`` may be given per member of the
search ``optim_wrapper`` or once at its top level. Typos must not silently fall
back to fp16, and two different values for one member must not be resolved by
precedence without a word.
"""
import logging
import numbers

from mmengine.logging import print_log

AMP_WRAPPER = 'AmpOptimWrapper'
AMP_TYPES = (AMP_WRAPPER, f'mmengine.{AMP_WRAPPER}')
# spelling -> the name AmpOptimWrapper understands
DTYPES = {
    'float16': 'float16', 'fp16': 'float16', 'half': 'float16',
    'bfloat16': 'bfloat16', 'bf16': 'bfloat16',
}


def is_amp_type(wrapper_type) -> bool:
    return wrapper_type in AMP_TYPES


def canonical_dtype(value, where: str):
    """``'float16'`` / ``'bfloat16'`` (or ``None``) for a config value."""
    if value is None:
        return None
    name = str(value).replace('torch.', '')
    if name not in DTYPES:
        raise ValueError(
            f'{where}.dtype={value!r} is not an AMP dtype; use one of '
            f'{sorted(DTYPES)} (float16 and bfloat16 are the two '
            'AmpOptimWrapper supports)')
    return DTYPES[name]


def check_loss_scale(value, where: str):
    """``'dynamic'``, a positive number or a dict of GradScaler arguments."""
    if value == 'dynamic' or isinstance(value, dict):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool) \
            and value > 0:
        return value
    raise ValueError(
        f'{where}.loss_scale={value!r} is not valid; use "dynamic", a '
        'positive number (static scale) or a dict of GradScaler arguments')


def resolve_amp_member(sub: dict, shared: dict, where: str) -> dict:
    """Apply the shared (top-level) AMP options to one member config.

    A value given both at the top level and in the member must agree; AMP
    options on a member that is not an AMP wrapper are an error (a plain
    ``OptimWrapper`` would ignore them, i.e. run in fp32 while the config
    asks for fp16/bf16).
    """
    sub = dict(sub)
    for key in ('dtype', 'loss_scale'):
        if key not in shared:
            continue
        if key in sub:
            a, b = shared[key], sub[key]
            if key == 'dtype':
                a = canonical_dtype(a, 'optim_wrapper')
                b = canonical_dtype(b, where)
            if a != b:
                raise ValueError(
                    f'optim_wrapper.{key}={shared[key]!r} contradicts '
                    f'{where}.{key}={sub[key]!r}; set it in one place')
        else:
            sub[key] = shared[key]
    amp = is_amp_type(sub.get('type', 'OptimWrapper'))
    given = [k for k in ('dtype', 'loss_scale') if k in sub]
    if given and not amp:
        raise ValueError(
            f'{where} sets {", ".join(given)} but is not an AmpOptimWrapper; '
            'pass --amp to tools/train.py (or set type="AmpOptimWrapper")')
    if 'dtype' in sub:
        sub['dtype'] = canonical_dtype(sub['dtype'], where)
    if 'loss_scale' in sub:
        check_loss_scale(sub['loss_scale'], where)
    return sub


def has_accelerator() -> bool:
    """What mmengine's AmpOptimWrapper asserts at construction."""
    import mmengine.device as dev
    from mmengine.device import (is_cuda_available, is_mlu_available,
                                 is_npu_available)
    musa = getattr(dev, 'is_musa_available', lambda: False)
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or musa())


def set_amp(wrapper: dict, inherited=()) -> None:
    """Turn one optimizer-wrapper config, or each member of a dict of
    wrappers (OptimWrapperDict, as in bi-level search), into AMP, in place.

    Raises:
        ValueError: ``wrapper`` has neither an optimizer nor member
            wrappers, or names a ``dtype`` that is not an AMP dtype.
    """
    is_dict = str(wrapper.get('type', '')).endswith('OptimWrapperDict')
    if 'optimizer' in wrapper or ('type' in wrapper and not is_dict):
        if is_amp_type(wrapper.get('type', 'OptimWrapper')):
            print_log('AMP is already enabled in the config.',
                      logger='current', level=logging.WARNING)
            return
        wrapper['type'] = AMP_WRAPPER
        if 'loss_scale' not in inherited:  # else the top level's applies
            wrapper.setdefault('loss_scale', 'dynamic')
        if 'dtype' in wrapper:  # typos must not fall back to fp16
            wrapper['dtype'] = canonical_dtype(wrapper['dtype'],
                                               'optim_wrapper')
        return
    # members are wrapper configs; paramwise_cfg and the like are not
    members = [
        v for v in wrapper.values()
        if isinstance(v, dict) and ('optimizer' in v or 'type' in v)
    ]
    if not members:
        raise ValueError('--amp: optim_wrapper has neither an optimizer nor '
                         'member wrappers to switch to AMP')
    shared = tuple(k for k in ('loss_scale', 'dtype') if k in wrapper)
    for member in members:
        set_amp(member, shared)
