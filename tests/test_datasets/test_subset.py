"""mmddarts.datasets.subset.get_subset against mmengine's shared-memo bug."""
import numpy as np
from mmengine.dataset import BaseDataset

from mmddarts.datasets import CIFAR10
from mmddarts.datasets.subset import get_subset


def _dataset(root, serialize=True):
    return CIFAR10(data_root=root, split='train', check_md5=False,
                   pipeline=[dict(type='mmpretrain.PackInputs')],
                   serialize_data=serialize)


def _plant_stale_entry(ds):
    """What a freed dataset at the pipeline's address leaves behind."""
    memo = BaseDataset._copy_without_annotation.__defaults__[0]
    assert isinstance(memo, dict)  # mmengine 0.10's mutable default
    stale = object()
    memo[id(ds.pipeline)] = stale
    return memo, stale


def test_stale_memo_entry_breaks_mmengine_but_not_ours(tiny_cifar10):
    ds = _dataset(tiny_cifar10)
    memo, stale = _plant_stale_entry(ds)
    try:
        # the hazard is real in the installed mmengine ...
        assert ds.get_subset([0, 1]).pipeline is stale
        # ... and ours copies the real pipeline
        sub = get_subset(ds, [0, 1])
        assert sub.pipeline is not stale
        assert type(sub.pipeline) is type(ds.pipeline)
        out = sub[0]
        assert tuple(out['inputs'].shape) == (3, 32, 32)
    finally:
        memo.pop(id(ds.pipeline), None)


def test_same_samples_as_mmengine(tiny_cifar10):
    for serialize in (True, False):
        ds = _dataset(tiny_cifar10, serialize)
        idx = [5, 0, 39, 7]
        ours = get_subset(ds, idx)
        assert len(ours) == 4
        for k, i in enumerate(idx):
            a, b = ours.get_data_info(k), ds.get_data_info(i)
            np.testing.assert_array_equal(a['img'], b['img'])
            assert a['gt_label'] == b['gt_label']
        # int indices: the first few, as in mmengine
        assert len(get_subset(ds, 3)) == 3
        # the source is untouched
        assert len(ds) == 40
