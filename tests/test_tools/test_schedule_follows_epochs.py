"""`--cfg-options train_cfg.max_epochs=N` must rescale the cosine schedules of
the training configs (a hard-coded T_max/end would leave the epochs past the
old end at lr 0)."""
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_digits_cosine_spans_overridden_epochs(tmp_path):
    cfg = Config.fromfile(osp.join(REPO, 'configs/train/ddarts_digits.py'))
    cfg.train_cfg.max_epochs = 7
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train_loop  # noqa: B018 (built: the schedulers' default `end`)
    runner.optim_wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    schedulers = runner.build_param_scheduler(cfg.param_scheduler)
    cosine = [s for s in schedulers
              if type(s).__name__ == 'CosineAnnealingLR']
    assert len(cosine) == 1
    assert cosine[0].T_max == 7 and cosine[0].end == 7


def test_cifar_schedule_has_no_fixed_length():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/schedules/cifar_600e.py'))
    sched = cfg.param_scheduler
    assert 'T_max' not in sched and 'end' not in sched
    assert cfg.train_cfg.max_epochs == 600
