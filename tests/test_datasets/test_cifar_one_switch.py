"""Issue 14, item 3: one ``--cfg-options check_md5=False`` for every CIFAR
dataset of a config, and no downloads (missing files -> an error that names
the paths and the layout, no folder created)."""
import os
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DATASETS

from mmddarts.datasets import CIFAR10, CIFAR100
from mmddarts.utils.config_utils import apply_cfg_options
from mmddarts.utils.dataloader_cfgs import dataset_cfgs

CONFIGS = ['configs/train/darts-v2_c10.py',
           'configs/train/do2-resnet18_c100.py',
           'configs/search/ddarts_c10.py', 'configs/search/ddarts_c100.py',
           'configs/search/darts_c10.py', 'configs/search/fairdarts_c10.py',
           'configs/search/dartopti_resnet18_c10.py']


def _cifar_dataset_cfgs(cfg):
    """Every (loader, dataset config) of mmddarts' CIFAR classes, wrapped
    (SplitDataset) or not, found by walking the config independently."""
    found = []
    for key in cfg.keys():
        if key.endswith('_dataloader') and isinstance(cfg[key], dict):
            for ds in dataset_cfgs(cfg[key].get('dataset')):
                if ds.get('type') in ('mmddarts.CIFAR10',
                                      'mmddarts.CIFAR100'):
                    found.append((key, ds))
    return found


@pytest.mark.parametrize('name', CONFIGS)
def test_one_switch_reaches_every_cifar_dataset(repo_root, name):
    cfg = Config.fromfile(osp.join(repo_root, name))
    before = _cifar_dataset_cfgs(cfg)
    loaders = {k for k, _ in before}
    # train + val (+ test, which may share val's dict) and, for searches,
    # the split wrapped in train_dataloader and arch_dataloader
    assert {'train_dataloader', 'val_dataloader'} <= loaders
    if 'search' in name:
        assert 'arch_dataloader' in loaders
    assert all(ds['check_md5'] is True for _, ds in before)
    apply_cfg_options(cfg, {'check_md5': False})
    after = _cifar_dataset_cfgs(cfg)
    assert len(after) == len(before)
    assert [ds['check_md5'] for _, ds in after] == [False] * len(after)


def test_one_switch_builds_generated_search_data(repo_root, tiny_cifar10):
    cfg = Config.fromfile(osp.join(repo_root, 'configs/search/ddarts_c10.py'))
    apply_cfg_options(cfg, {'check_md5': False, 'data_root': tiny_cifar10})
    for key in ('train_dataloader', 'arch_dataloader', 'val_dataloader'):
        ds = DATASETS.build(cfg[key].dataset)
        assert len(ds) > 0, key


def test_switch_must_be_bool(repo_root):
    cfg = Config.fromfile(osp.join(repo_root, 'configs/train/darts-v2_c10.py'))
    with pytest.raises(ValueError, match='check_md5 must be True or False'):
        apply_cfg_options(cfg, {'check_md5': 'no'})


@pytest.mark.parametrize('cls,folder,names', [
    (CIFAR10, 'cifar-10-batches-py',
     ['data_batch_1', 'data_batch_5', 'test_batch', 'batches.meta']),
    (CIFAR100, 'cifar-100-python', ['train', 'test', 'meta']),
])
def test_missing_files_never_download(tmp_path, monkeypatch, cls, folder,
                                      names):
    import mmpretrain.datasets.cifar as mmpretrain_cifar

    def no_network(*args, **kwargs):
        raise AssertionError('tried to download')

    monkeypatch.setattr(mmpretrain_cifar, 'download_and_extract_archive',
                        no_network)
    root = str(tmp_path / 'nowhere')
    for check in (True, False):
        with pytest.raises(FileNotFoundError) as info:
            cls(data_root=root, split='train', check_md5=check)
        msg = str(info.value)
        for name in names:  # where each file belongs: the layout
            assert osp.join(root, folder, name) in msg
        assert 'never downloads' in msg and 'write_tiny_cifar.py' in msg
        assert 'check_md5=False' in msg
        assert not osp.exists(root)  # no folder created
    with pytest.raises(ValueError, match='download=True is not supported'):
        cls(data_root=root, split='train', download=True)
    assert not osp.exists(root)


def test_partial_files_name_only_the_missing_ones(tmp_path, tiny_cifar10):
    import shutil
    root = str(tmp_path / 'c10')
    shutil.copytree(tiny_cifar10, root)
    os.remove(osp.join(root, 'cifar-10-batches-py', 'data_batch_3'))
    with pytest.raises(FileNotFoundError,
                       match='missing [^ ]*data_batch_3\\.'):
        CIFAR10(data_root=root, split='test', check_md5=False)
