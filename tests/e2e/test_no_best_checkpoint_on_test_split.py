"""No shipped config keeps a "best" checkpoint chosen on its validation
loader: for CIFAR, digits and ImageNet that loader is the test split (ImageNet:
the val split everyone reports), so save_best would select on test data.
DARTS and D-DARTS report the last epoch (docs/search.md, "Which checkpoint
to report")."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True)
    if f'{osp.sep}_base_{osp.sep}' not in p)


def _split(loader):
    dataset = (loader or {}).get('dataset', {}) or {}
    held_out = None
    while 'split' not in dataset and isinstance(dataset.get('dataset'), dict):
        if 'part' in dataset:  # SplitDataset: a held-out part of the data
            held_out = f'held-out part {dataset["part"]!r}'
        dataset = dataset['dataset']  # wrappers (SplitDataset, ...)
    return dataset.get('split') or held_out


def test_base_runtime_has_no_save_best():
    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_',
                                   'default_runtime.py'))
    assert cfg.default_hooks.checkpoint.get('save_best') is None


@pytest.mark.parametrize('path', [
    p for p in CONFIGS if osp.join('configs', 'train') in p],
    ids=lambda p: osp.relpath(p, ROOT))
def test_training_configs_validate_on_the_test_split(path):
    # the premise of this file: the derived-network configs' validation
    # loader is the test split (so no checkpoint may be chosen on it)
    cfg = Config.fromfile(path)
    split = _split(cfg.get('val_dataloader'))
    # the user's own folder (ddarts_custom.py) validates on a held-out part
    assert split in ('test', 'val') or str(split).startswith('held-out'), \
        (path, split)


def test_no_config_saves_a_best_checkpoint():
    assert len(CONFIGS) > 20
    offenders = []
    for path in CONFIGS:
        cfg = Config.fromfile(path)
        hook = (cfg.get('default_hooks') or {}).get('checkpoint') or {}
        if hook.get('save_best') is not None:
            offenders.append(
                f'{osp.relpath(path, ROOT)}: save_best={hook["save_best"]!r}'
                f' while val_dataloader reads split '
                f'{_split(cfg.get("val_dataloader"))!r}')
    assert not offenders, offenders
