import numpy as np
import pytest

from mmddarts.datasets import CIFAR10, SplitDataset
from mmddarts.registry import DATASETS


def _cfg(root):
    return dict(
        type='mmddarts.CIFAR10', data_root=root, split='train',
        check_md5=False)


def _imgs(ds):
    return np.stack([ds.get_data_info(i)['img'] for i in range(len(ds))])


def test_two_parts_partition_the_dataset(tiny_cifar10):
    full = CIFAR10(data_root=tiny_cifar10, split='train', check_md5=False)
    first = DATASETS.build(
        dict(type='mmddarts.SplitDataset', dataset=_cfg(tiny_cifar10),
             portion=0.5, part='first', seed=0))
    second = SplitDataset(_cfg(tiny_cifar10), portion=0.5, part='second')
    assert len(first) == len(second) == 20
    assert not set(first.indices) & set(second.indices)
    assert sorted(np.concatenate([first.indices, second.indices])) == \
        list(range(40))
    # each part serves exactly the wrapped samples it claims
    full_imgs, full_labels = _imgs(full), full.get_gt_labels()
    np.testing.assert_array_equal(_imgs(first), full_imgs[first.indices])
    np.testing.assert_array_equal(first.get_gt_labels(),
                                  full_labels[first.indices])
    # stratified: 40 balanced samples of 10 classes -> 2 per class each
    assert np.bincount(second.get_gt_labels()).tolist() == [2] * 10
    assert first.metainfo['classes'] == full.metainfo['classes']


def test_deterministic_and_seeded(tiny_cifar10):
    a = SplitDataset(_cfg(tiny_cifar10), portion=0.3, part='first', seed=4)
    b = SplitDataset(_cfg(tiny_cifar10), portion=0.3, part='first', seed=4)
    c = SplitDataset(_cfg(tiny_cifar10), portion=0.3, part='first', seed=5)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert len(a) == 12  # int(0.3 * 40)
    assert not np.array_equal(a.indices, c.indices)
    r = SplitDataset(_cfg(tiny_cifar10), portion=0.3, stratified=False)
    assert len(r) == 12


def test_pipeline_and_lazy_init(tiny_cifar10):
    cfg = dict(
        _cfg(tiny_cifar10), pipeline=[dict(type='mmpretrain.PackInputs')])
    ds = SplitDataset(cfg, part='second', lazy_init=True)
    assert ds.indices is None
    out = ds[0]  # loads on first use
    assert tuple(out['inputs'].shape) == (3, 32, 32)
    assert int(out['data_samples'].gt_label) == ds.get_gt_labels()[0]


def test_bad_arguments(tiny_cifar10):
    with pytest.raises(ValueError, match='part'):
        SplitDataset(_cfg(tiny_cifar10), part='third')
    with pytest.raises(ValueError, match='portion'):
        SplitDataset(_cfg(tiny_cifar10), portion=1.0)
    with pytest.raises(ValueError, match='empty'):
        SplitDataset(_cfg(tiny_cifar10), portion=0.01)


def test_immune_to_stale_mmengine_memo(tiny_cifar10):
    """mmengine's get_subset shares one deepcopy memo across calls; an entry
    left by a freed dataset at the pipeline's address must not be used."""
    from mmengine.dataset import BaseDataset
    cfg = dict(
        _cfg(tiny_cifar10), pipeline=[dict(type='mmpretrain.PackInputs')])
    ds = SplitDataset(cfg, part='first', lazy_init=True)
    memo = BaseDataset._copy_without_annotation.__defaults__[0]
    key = id(ds.source.pipeline)
    memo[key] = object()
    try:
        out = ds[0]
    finally:
        memo.pop(key, None)
    assert tuple(out['inputs'].shape) == (3, 32, 32)
