import os.path as osp
import pickle

import numpy as np
import pytest
from mmpretrain.datasets import CIFAR10 as MMPretrainCIFAR10
from mmpretrain.datasets.categories import (CIFAR10_CATEGORIES,
                                            CIFAR100_CATEGORIES)

from mmddarts.datasets import CIFAR10, CIFAR100
from mmddarts.datasets.cifar_writer import (CIFAR100_COARSE_OF_FINE,
                                            make_cifar_split, write_cifar)


def _arrays(ds):
    imgs = np.stack([ds.get_data_info(i)['img'] for i in range(len(ds))])
    return imgs, np.asarray(ds.get_gt_labels())


def test_official_layout(tiny_cifar10, tiny_cifar100):
    folder = osp.join(tiny_cifar10, 'cifar-10-batches-py')
    for name in [f'data_batch_{i}' for i in range(1, 6)] + [
            'test_batch', 'batches.meta'
    ]:
        assert osp.isfile(osp.join(folder, name)), name
    with open(osp.join(folder, 'data_batch_1'), 'rb') as f:
        batch = pickle.load(f, encoding='latin1')
    assert set(batch) == {'batch_label', 'labels', 'data', 'filenames'}
    assert batch['data'].dtype == np.uint8 and batch['data'].shape == (8, 3072)
    with open(osp.join(folder, 'batches.meta'), 'rb') as f:
        assert pickle.load(f)['label_names'] == list(CIFAR10_CATEGORIES)
    folder = osp.join(tiny_cifar100, 'cifar-100-python')
    with open(osp.join(folder, 'train'), 'rb') as f:
        train = pickle.load(f, encoding='latin1')
    assert {'fine_labels', 'coarse_labels', 'data'} <= set(train)
    with open(osp.join(folder, 'meta'), 'rb') as f:
        meta = pickle.load(f)
    assert meta['fine_label_names'] == list(CIFAR100_CATEGORIES)
    assert len(meta['coarse_label_names']) == 20
    # the official superclass table: 5 fine classes per superclass
    assert np.bincount(CIFAR100_COARSE_OF_FINE).tolist() == [5] * 20
    coarse = np.asarray(CIFAR100_COARSE_OF_FINE)
    assert train['coarse_labels'] == coarse[train['fine_labels']].tolist()


def test_first_pixel_row_is_red_plane(tmp_path):
    # Official row layout: 1024 R values, then G, then B, row-major.
    write_cifar(str(tmp_path), 'cifar10', num_train=5, num_test=2, seed=3)
    imgs, _ = make_cifar_split('cifar10', 'train', 5, seed=3)
    with open(tmp_path / 'cifar-10-batches-py' / 'data_batch_1', 'rb') as f:
        row = pickle.load(f)['data'][0]
    assert row[0] == imgs[0, 0, 0, 0]  # R of pixel (0, 0)
    assert row[1] == imgs[0, 0, 1, 0]  # R of pixel (0, 1)
    assert row[32] == imgs[0, 1, 0, 0]  # R of pixel (1, 0)
    assert row[1024] == imgs[0, 0, 0, 1]  # G of pixel (0, 0)
    assert row[2048 + 33] == imgs[0, 1, 1, 2]  # B of pixel (1, 1)


@pytest.mark.parametrize('split,num', [('train', 40), ('test', 20)])
def test_mmpretrain_reads_cifar10_back_exactly(tiny_cifar10, split, num):
    ds = CIFAR10(data_root=tiny_cifar10, split=split, check_md5=False)
    imgs, labels = _arrays(ds)
    ref_imgs, ref_labels = make_cifar_split('cifar10', split, num, seed=0)
    np.testing.assert_array_equal(labels, ref_labels)
    np.testing.assert_array_equal(imgs, ref_imgs)
    assert ds.metainfo['classes'] == CIFAR10_CATEGORIES
    assert isinstance(ds, MMPretrainCIFAR10)  # mmpretrain's loading code


def test_mmpretrain_reads_cifar100_back_exactly(tiny_cifar100):
    ds = CIFAR100(data_root=tiny_cifar100, split='test', check_md5=False)
    imgs, labels = _arrays(ds)
    ref_imgs, ref_labels = make_cifar_split('cifar100', 'test', 100, seed=0)
    np.testing.assert_array_equal(labels, ref_labels)
    np.testing.assert_array_equal(imgs, ref_imgs)
    assert np.bincount(labels).tolist() == [1] * 100  # balanced


def test_md5_check_refuses_generated_files(tiny_cifar10, tiny_cifar100):
    with pytest.raises(RuntimeError, match='check_md5=False'):
        CIFAR10(data_root=tiny_cifar10, split='train', download=False)
    with pytest.raises(RuntimeError, match='md5'):
        CIFAR100(data_root=tiny_cifar100, split='train', check_md5=True)


def test_missing_files_still_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match='Cannot find'):
        CIFAR10(data_root=str(tmp_path), check_md5=False)


def test_missing_files_name_data_root_without_downloading(tmp_path):
    """Missing files: the error names the data root and every missing file;
    nothing is downloaded (issue 14 replaced the offline download attempt
    and its URLError)."""
    root = str(tmp_path / 'no_cifar')
    with pytest.raises(FileNotFoundError, match='Cannot find CIFAR100') \
            as info:
        CIFAR100(data_root=root, split='train', check_md5=False)
    assert osp.join(root, 'cifar-100-python', 'train') in str(info.value)
    assert 'data_root' in str(info.value)
    assert not osp.exists(root)


def test_classes_are_learnable():
    # nearest class mean on the mean colour separates the 10 classes
    tr_x, tr_y = make_cifar_split('cifar10', 'train', 500, seed=1)
    te_x, te_y = make_cifar_split('cifar10', 'test', 200, seed=1)
    feat = lambda x: x.reshape(len(x), -1, 3).mean(1)  # noqa: E731
    means = np.stack([feat(tr_x)[tr_y == c].mean(0) for c in range(10)])
    d = ((feat(te_x)[:, None] - means[None]) ** 2).sum(-1)
    assert (d.argmin(1) == te_y).mean() > 0.95


def test_writer_is_deterministic_and_validates():
    a = make_cifar_split('cifar100', 'train', 30, seed=5)
    b = make_cifar_split('cifar100', 'train', 30, seed=5)
    c = make_cifar_split('cifar100', 'test', 30, seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    with pytest.raises(ValueError, match='kind'):
        make_cifar_split('svhn', 'train', 3)


def test_write_tiny_cifar_cli(tmp_path, repo_root):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'write_tiny_cifar',
        osp.join(repo_root, 'tools/misc/write_tiny_cifar.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    cli.main([str(tmp_path), '--kind', 'cifar100', '--num-train', '7',
              '--num-test', '3', '--seed', '2'])
    ds = CIFAR100(data_root=str(tmp_path), split='test', check_md5=False)
    ref_imgs, ref_labels = make_cifar_split('cifar100', 'test', 3, seed=2)
    np.testing.assert_array_equal(_arrays(ds)[0], ref_imgs)
    np.testing.assert_array_equal(_arrays(ds)[1], ref_labels)
