"""The linear memory model: the fit and the batch choice against hand
computations, the image shape read from the real search configs, and the
prediction of a toy supernet's peak at a third batch size against a
separate measurement of that batch."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmddarts.memory.estimate import (MeasurementError, MemoryFit,
                                      estimate_search_memory, fit_linear,
                                      measure_search_peaks, search_batch_size,
                                      search_input_shape)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MiB = 2**20


def test_fit_linear_hand_computed():
    assert fit_linear([2, 4], [100, 140]) == (60, 20)
    # least squares through (1, 1), (2, 2), (3, 4): slope = sxy / sxx =
    # 3 / 2, intercept = 7/3 - 2 * 1.5 = -2/3
    fixed, slope = fit_linear([1, 2, 3], [1, 2, 4])
    assert slope == pytest.approx(1.5)
    assert fixed == pytest.approx(-2 / 3)
    with pytest.raises(ValueError, match='two or more distinct'):
        fit_linear([4, 4], [1, 2])


def test_largest_batch_hand_computed():
    fit = MemoryFit(fixed=100 * MiB, per_image=10 * MiB)
    # usable 400 * 0.9 = 360 MiB -> (360 - 100) / 10 = 26 -> 24 (x8)
    assert fit.largest_batch(400 * MiB, margin=0.1) == 24
    # below 8 the batch is not rounded: (130 - 100) / 10 = 3
    assert fit.largest_batch(130 * MiB, margin=0.0) == 3
    assert fit.largest_batch(105 * MiB, margin=0.0) == 0  # not one image
    assert fit.largest_batch(400 * MiB, margin=0.1, max_batch=16) == 16
    assert fit.largest_batch(400 * MiB, margin=0.1, multiple=1) == 26
    assert fit.predict(24) == 340 * MiB


@pytest.mark.parametrize('config,shape,batch', [
    ('configs/search/ddarts_c100.py', (3, 32, 32), 128),
    ('configs/search/ddarts_digits.py', (3, 16, 16), 64),
    ('configs/search/ddarts_imagenet.py', (3, 64, 64), 96),
    ('configs/search/dartopti_resnet18_digits.py', (3, 8, 8), 64),
    ('configs/search/dartopti_xception_c10.py', (3, 32, 32), 128),
])
def test_input_shape_and_batch_of_search_configs(config, shape, batch):
    cfg = Config.fromfile(osp.join(REPO, config))
    assert search_input_shape(cfg) == shape
    assert search_batch_size(cfg) == batch


def test_input_shape_override_and_error():
    cfg = Config.fromfile(osp.join(REPO, 'configs/search/ddarts_c100.py'))
    cfg.preflight = dict(input_shape=[3, 24, 20])
    assert search_input_shape(cfg) == (3, 24, 20)
    cfg.preflight = dict()
    cfg.train_dataloader.dataset.dataset.pipeline = [
        dict(type='mmpretrain.PackInputs')]
    with pytest.raises(ValueError, match='preflight=dict'):
        search_input_shape(cfg)


def toy_search_cfg(channels=8, cells=3):
    """A search model + optimizers config, no data (the estimate makes its
    own images): 3 cells, 2 steps, 16x16 images."""
    sched = Config.fromfile(
        osp.join(REPO, 'configs/_base_/search/search_schedule.py'))
    return Config(dict(
        default_scope='mmddarts',
        model=dict(
            type='mmddarts.DDartsSearch',
            architecture=dict(type='mmddarts.DDartsSupernet', num_classes=10,
                              channels=channels, num_cells=cells,
                              steps=2),
            data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor',
                                   num_classes=10, mean=[127.5] * 3,
                                   std=[64.0] * 3),
            arch_strategy=dict(type='mmddarts.LeaveOneOutArchStep',
                               w01=7.0, w_abl=0.5, ablation='exact')),
        optim_wrapper=sched.optim_wrapper.to_dict(),
        train_dataloader=dict(batch_size=32, dataset=dict(pipeline=[
            dict(type='mmpretrain.Resize', scale=(16, 16))])),
    ))


# Issue 9 made the peak less linear in the batch: the ablations' graphs
# never coexist with the full pass' any more, so the per-image part is
# smaller next to the fixed one at B=2/4 and the fit over-predicts B=24
# (measured on the CPU plan, one ablation at a time: +27% and +31%,
# 2026-12-01). Over-predicting is the safe side for a preflight check (a
# smaller batch than possible, never an OOM), so it gets more room than
# under-predicting.
OVER, UNDER = 0.40, 0.15


def within(predicted, measured):
    return -UNDER * measured <= predicted - measured <= OVER * measured


def test_prediction_matches_a_measured_third_batch():
    """Fit at B=2 and 4, predict B=24, measure B=24 in a fresh process:
    at most 15 % under or 40 % over. The batch-dependent part is most of the
    measured peak at B=24, so the check is not met by the constant alone."""
    cfg = toy_search_cfg()
    # fresh (spawned) children, as in a tools/ run: a child forked from this
    # long-lived test process inherits whatever heap the earlier tests left
    fit = estimate_search_memory(cfg, batches=(2, 4), threads=1,
                                 start_method='spawn')
    assert fit.per_image > 0
    measured = measure_search_peaks(cfg, [24], threads=1,
                                    start_method='spawn')['peaks'][0]
    predicted = fit.predict(24)
    assert within(predicted, measured), (
        fit.describe(), predicted / MiB, measured / MiB)
    assert fit.per_image * 24 >= 0.5 * measured, fit.describe()


def test_measurement_failure_is_reported():
    cfg = toy_search_cfg()
    cfg.model.architecture.op_set = 'no-such-op-set'
    # the child's error, once, as itself (not a memory problem)
    with pytest.raises(MeasurementError, match="^ValueError: unknown op "
                       "set 'no-such-op-set'") as err:
        measure_search_peaks(cfg, [2], threads=1)
    assert not err.value.is_oom and 'Traceback' in err.value.trace


def test_prediction_holds_after_the_caller_freed_much_memory():
    """A forked child inherits the caller's freed-but-resident heap; without
    giving it back first (malloc_trim) the small batches reused it
    uncounted and the fit came out 2 MiB per image instead of 7."""
    import torch
    junk = [torch.ones(2000) for _ in range(20000)]  # ~160 MB, 8 kB each
    del junk
    cfg = toy_search_cfg()
    fit = estimate_search_memory(cfg, batches=(2, 4), threads=1)
    measured = measure_search_peaks(cfg, [24], threads=1)['peaks'][0]
    assert within(fit.predict(24), measured), (
        fit.describe(), fit.predict(24) / MiB, measured / MiB)
