"""--amp honours dtype / loss_scale given per member or at the top level of
the search optim_wrapper (the AMP wrappers are really built: the accelerator
check of mmengine's AmpOptimWrapper is patched, nothing runs on a GPU)."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim.optimizer import amp_optimizer_wrapper

pytest.importorskip('mmpretrain')

from mmddarts.engine.optimizers import \
    SearchOptimWrapperConstructor  # noqa: E402
from mmddarts.engine.optimizers.amp_options import set_amp  # noqa: E402
from mmddarts.registry import MODELS  # noqa: E402


@pytest.fixture
def fake_gpu(monkeypatch):
    # AmpOptimWrapper asserts an accelerator and builds a GradScaler; on a
    # CPU-only torch the scaler only warns, which is all this test needs.
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)


def tiny_search():
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='mmddarts.DDartsSearch',
        architecture=dict(type='mmddarts.DDartsSupernet', num_classes=3,
                          channels=4, num_cells=3, steps=2),
        arch_strategy=dict(type='mmddarts.LeaveOneOutArchStep',
                           ablation='none')))


def search_wrapper(**top):
    return dict(
        constructor='mmddarts.SearchOptimWrapperConstructor',
        architecture=dict(optimizer=dict(type='Adam', lr=3e-3)),
        weights=dict(optimizer=dict(type='SGD', lr=0.005, momentum=0.9)),
        **top)


def amp_cfg(optim_wrapper, argv_amp=True):
    """The optim_wrapper as tools/train.py --amp leaves it."""
    cfg = copy.deepcopy(optim_wrapper)
    if argv_amp:
        set_amp(cfg)
    return cfg


def build(cfg):
    cfg = dict(cfg)
    cfg.pop('constructor')
    return SearchOptimWrapperConstructor(cfg)(tiny_search())


@pytest.mark.parametrize('where', ['member', 'top'])
@pytest.mark.parametrize('dtype,expected', [('bfloat16', torch.bfloat16),
                                            ('bf16', torch.bfloat16),
                                            ('float16', torch.float16)])
def test_dtype_reaches_both_wrappers(fake_gpu, where, dtype, expected):
    ow = search_wrapper()
    if where == 'top':
        ow['dtype'] = dtype
    else:
        ow['architecture']['dtype'] = dtype
        ow['weights']['dtype'] = dtype
    wrappers = build(amp_cfg(ow))
    for name in ('architecture', 'weights'):
        w = wrappers[name]
        # mmddarts.SearchAmpOptimWrapper: mmengine's, grad norm kept on device
        assert isinstance(w, amp_optimizer_wrapper.AmpOptimWrapper)
        assert w.cast_dtype == expected, name


def test_default_amp_is_fp16_dynamic(fake_gpu):
    wrappers = build(amp_cfg(search_wrapper()))
    for w in wrappers.values():
        assert w.cast_dtype is None  # autocast's default: float16 on CUDA
        assert w._scale_update_param is None  # dynamic loss scale


def test_top_level_static_loss_scale(fake_gpu):
    wrappers = build(amp_cfg(search_wrapper(loss_scale=512.)))
    for w in wrappers.values():
        assert w._scale_update_param == 512.


def test_member_only_dtype_keeps_other_member_default(fake_gpu):
    ow = search_wrapper()
    ow['architecture']['dtype'] = 'bfloat16'
    wrappers = build(amp_cfg(ow))
    assert wrappers['architecture'].cast_dtype == torch.bfloat16
    assert wrappers['weights'].cast_dtype is None


def test_unknown_dtype_is_an_error():
    with pytest.raises(ValueError, match=r'dtype=.float61.'):
        build(amp_cfg(search_wrapper(dtype='float61')))


def test_contradictory_dtype_is_an_error():
    ow = search_wrapper(dtype='bfloat16')
    ow['weights']['dtype'] = 'float16'
    with pytest.raises(ValueError, match='contradicts'):
        build(amp_cfg(ow))


def test_bad_loss_scale_is_an_error():
    with pytest.raises(ValueError, match='loss_scale'):
        build(amp_cfg(search_wrapper(loss_scale=-1)))


def test_dtype_without_amp_is_an_error():
    with pytest.raises(ValueError, match='--amp'):
        build(amp_cfg(search_wrapper(dtype='bfloat16'), argv_amp=False))


def test_plain_wrapper_dtype_spelling_checked():
    cfg = Config(dict(optim_wrapper=dict(
        optimizer=dict(type='SGD', lr=0.1), dtype='bf16')))
    set_amp(cfg.optim_wrapper)
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    with pytest.raises(ValueError, match='dtype'):
        set_amp(dict(optimizer=dict(type='SGD', lr=0.1),
                     dtype='int8'))
