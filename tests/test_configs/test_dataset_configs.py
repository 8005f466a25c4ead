"""The base dataset configs build and feed their pipelines."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DATASETS

from mmddarts.utils.config_utils import replace_data_root

CFG_DIR = 'configs/_base_/datasets'


def _load(repo_root, name, data_root=None):
    cfg = Config.fromfile(osp.join(repo_root, CFG_DIR, name))
    if data_root is not None:
        assert replace_data_root(cfg, cfg.data_root, data_root) >= 2
    return cfg


def _build(loader_cfg):
    ds_cfg = loader_cfg.dataset
    inner = ds_cfg.get('dataset', ds_cfg)
    if 'check_md5' in inner:
        inner.check_md5 = False  # generated files
    return DATASETS.build(ds_cfg)


@pytest.mark.parametrize('name,kind,classes',
                         [('cifar10.py', 'cifar10', 10),
                          ('cifar100.py', 'cifar100', 100)])
def test_cifar_configs(repo_root, tiny_cifar10, tiny_cifar100, name, kind,
                       classes):
    root = tiny_cifar10 if kind == 'cifar10' else tiny_cifar100
    cfg = _load(repo_root, name, root)
    assert cfg.data_preprocessor.num_classes == classes
    assert cfg.train_dataloader.batch_size == 128
    assert cfg.val_evaluator.topk == (1, 5)
    train = _build(cfg.train_dataloader)
    names = [type(t).__name__ for t in train.pipeline.transforms]
    assert names == ['RandomCrop', 'RandomFlip', 'DARTSCutout', 'PackInputs']
    cutout = train.pipeline.transforms[2]
    assert cutout.length == 16
    # the hole is the normalisation mean: 0 once normalised, as in DARTS
    assert list(cutout.pad_val) == list(cfg.data_preprocessor.mean)
    out = train[0]
    assert tuple(out['inputs'].shape) == (3, 32, 32)
    val = _build(cfg.val_dataloader)
    assert val.split == 'test' and len(val) < len(train)


@pytest.mark.parametrize('name', ['cifar10_search.py', 'cifar100_search.py',
                                  'digits_search.py'])
def test_search_configs_split_train_in_two(repo_root, tiny_cifar10,
                                           tiny_cifar100, name):
    root = {'cifar10_search.py': tiny_cifar10,
            'cifar100_search.py': tiny_cifar100}.get(name)
    cfg = _load(repo_root, name, root)
    weights = _build(cfg.train_dataloader)
    arch = _build(cfg.arch_dataloader)
    assert (weights.part, arch.part) == ('first', 'second')
    assert not set(weights.indices) & set(arch.indices)
    total = len(weights) + len(arch)
    assert sorted(np.concatenate([weights.indices, arch.indices])) == \
        list(range(total))
    assert abs(len(weights) - len(arch)) <= 1
    assert cfg.val_dataloader.dataset.split == 'test'
    out = arch[0]
    assert tuple(out['inputs'].shape) == (3, 32, 32)


def test_digits_config(repo_root):
    pytest.importorskip('sklearn')
    cfg = _load(repo_root, 'digits.py')
    train = _build(cfg.train_dataloader)
    assert len(train) == 1437
    assert tuple(train[0]['inputs'].shape) == (3, 32, 32)
    assert len(_build(cfg.val_dataloader)) == 360
