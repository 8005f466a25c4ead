"""The dataset bases normalise with the statistics DARTS / D-DARTS use."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

# DARTS utils.py (also D-DARTS): CIFAR_MEAN / CIFAR_STD, in 0..1
CIFAR10_MEAN = (0.49139968, 0.48215827, 0.44653124)
CIFAR10_STD = (0.24703233, 0.24348505, 0.26158768)
# D-DARTS' CIFAR-100 statistics, in 0..1
CIFAR100_MEAN = (0.50707516, 0.48654887, 0.44091784)
CIFAR100_STD = (0.26733428, 0.25643846, 0.27615049)


def _pre(repo_root, path):
    return Config.fromfile(osp.join(repo_root, path)).data_preprocessor


@pytest.mark.parametrize('path,mean,std', [
    ('configs/_base_/datasets/cifar10.py', CIFAR10_MEAN, CIFAR10_STD),
    ('configs/_base_/datasets/cifar10_search.py', CIFAR10_MEAN, CIFAR10_STD),
    ('configs/_base_/datasets/cifar100.py', CIFAR100_MEAN, CIFAR100_STD),
    ('configs/_base_/datasets/cifar100_search.py', CIFAR100_MEAN,
     CIFAR100_STD),
    ('configs/train/darts-v2_c10_autoaug.py', CIFAR10_MEAN, CIFAR10_STD),
    ('configs/train/do2-resnet18_c100_autoaug.py', CIFAR100_MEAN,
     CIFAR100_STD),
])
def test_cifar_bases_use_darts_statistics(repo_root, path, mean, std):
    pre = _pre(repo_root, path)
    np.testing.assert_allclose(pre.mean, np.array(mean) * 255, atol=1e-3)
    np.testing.assert_allclose(pre.std, np.array(std) * 255, atol=1e-3)


def test_digits_statistics_are_the_training_images(repo_root):
    pytest.importorskip('sklearn')
    from mmddarts.datasets import DigitsDataset

    # per-channel mean/std over all pixels of the 1,437 32x32 training
    # images (the convention of DARTS' CIFAR_MEAN / CIFAR_STD)
    ds = DigitsDataset(split='train')
    imgs = np.stack([ds.get_data_info(i)['img'] for i in range(len(ds))])
    pixels = imgs.reshape(-1, 3).astype(np.float64)
    pre = _pre(repo_root, 'configs/_base_/datasets/digits.py')
    np.testing.assert_allclose(pre.mean, pixels.mean(0), atol=1e-3)
    np.testing.assert_allclose(pre.std, pixels.std(0), atol=1e-3)
