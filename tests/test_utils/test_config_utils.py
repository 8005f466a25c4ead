import pytest
from mmengine.config import Config

from mmddarts.utils.config_utils import apply_cfg_options


def _cfg():
    inner = dict(type='X', data_root='data/a')
    return Config(dict(
        data_root='data/a',
        train_dataloader=dict(
            num_workers=0, persistent_workers=True,
            dataset=dict(type='mmddarts.SplitDataset', dataset=inner)),
        arch_dataloader=dict(
            num_workers=2, persistent_workers=True,
            dataset=dict(type='Y', data_root='data/other')),
        val_dataloader=dict(num_workers=0, dataset=dict(inner))))


def test_data_root_reaches_wrapped_datasets_only_where_it_was_used():
    cfg = _cfg()
    apply_cfg_options(cfg, {'data_root': 'new', 'val_dataloader.x': 1})
    assert cfg.train_dataloader.dataset.dataset.data_root == 'new'
    assert cfg.val_dataloader.dataset.data_root == 'new'
    assert cfg.arch_dataloader.dataset.data_root == 'data/other'
    assert cfg.val_dataloader.x == 1
    # persistent workers need workers
    assert cfg.train_dataloader.persistent_workers is False
    assert cfg.arch_dataloader.persistent_workers is True


def test_unused_data_root_warns():
    cfg = Config(dict(train_dataloader=dict(dataset=dict(type='X'))))
    with pytest.warns(UserWarning, match='matched no dataloader'):
        apply_cfg_options(cfg, {'data_root': 'new'})
