"""Fashion-MNIST idx loading on small written files (never the real set)."""
import gzip
import os.path as osp
import struct

import numpy as np
import pytest

from mmddarts.datasets import FashionMNIST, write_fashion_mnist
from mmddarts.datasets import fashion_mnist as fm
from mmddarts.datasets.idx_format import (IdxFormatError, md5_hex,
                                          parse_idx, write_idx)


def _write_split(root, images, labels, split='train', compressed=True):
    suffix = '.gz' if compressed else ''
    names = fm.FILES[split]
    write_idx(osp.join(root, names[0] + suffix), images)
    write_idx(osp.join(root, names[1] + suffix), labels)


def _arrays(n=12, size=5, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, size, size), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    return images, labels


def test_idx_header_bytes_by_hand(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = str(tmp_path / 'x-idx3-ubyte')
    write_idx(path, a)
    data = open(path, 'rb').read()
    # magic 0x00000803, then 2, 3, 4 as big-endian int32, then the values
    assert data[:16] == bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3,
                               0, 0, 0, 4])
    assert data[16:] == bytes(range(24))
    np.testing.assert_array_equal(parse_idx(data, 3), a)


@pytest.mark.parametrize('compressed', [True, False])
def test_reads_written_files(tmp_path, compressed):
    images, labels = _arrays()
    _write_split(str(tmp_path), images, labels, 'train', compressed)
    t_images, t_labels = _arrays(n=4, seed=1)
    _write_split(str(tmp_path), t_images, t_labels, 'test', compressed)
    for split, (im, lb) in (('train', (images, labels)),
                            ('test', (t_images, t_labels))):
        ds = FashionMNIST(data_root=str(tmp_path), split=split,
                          check_md5=False)
        assert len(ds) == len(lb)
        assert ds.test_mode == (split == 'test')
        for i in range(len(lb)):
            info = ds.get_data_info(i)
            np.testing.assert_array_equal(info['img'], im[i])
            assert info['gt_label'] == int(lb[i])
    assert ds.metainfo['classes'][9] == 'Ankle boot'


def test_md5_checked_on_decompressed_contents(tmp_path, monkeypatch):
    images, labels = _arrays()
    _write_split(str(tmp_path), images, labels, 'train', compressed=True)
    with pytest.raises(IdxFormatError, match='decompressed md5 .* is not '
                       'the official'):
        FashionMNIST(data_root=str(tmp_path), split='train')
    # the md5 of the decompressed bytes (not of the .gz file) is what counts
    names = fm.FILES['train']
    for name in names:
        with gzip.open(osp.join(str(tmp_path), name + '.gz'), 'rb') as f:
            monkeypatch.setitem(fm.MD5, name, md5_hex(f.read()))
    ds = FashionMNIST(data_root=str(tmp_path), split='train')
    assert len(ds) == 12


def test_missing_files_name_paths_and_install_command(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        FashionMNIST(data_root=str(tmp_path / 'nowhere'), split='test')
    msg = str(err.value)
    assert 't10k-images-idx3-ubyte[.gz]' in msg
    assert 't10k-labels-idx1-ubyte[.gz]' in msg
    assert 'apt-get install dataset-fashion-mnist' in msg
    assert '\n' not in msg
    with pytest.raises(ValueError, match='never downloads'):
        FashionMNIST(data_root=str(tmp_path), download=True)


def test_wrong_magic_number(tmp_path):
    images, labels = _arrays()
    # the label file holds a 3-dim array: magic 2051 instead of 2049
    _write_split(str(tmp_path), images, images, 'train')
    with pytest.raises(IdxFormatError, match='wrong magic number 2051.*'
                       'expected 2049'):
        FashionMNIST(data_root=str(tmp_path), split='train', check_md5=False)


@pytest.mark.parametrize('compressed', [True, False])
def test_truncated_file(tmp_path, compressed):
    images, labels = _arrays()
    _write_split(str(tmp_path), images, labels, 'train', compressed=False)
    path = osp.join(str(tmp_path), fm.FILES['train'][0])
    data = open(path, 'rb').read()
    if compressed:
        # a complete gzip stream of a short file, and a cut gzip stream
        with gzip.open(path + '.gz', 'wb') as f:
            f.write(data[:-7])
    else:
        with open(path, 'wb') as f:
            f.write(data[:-7])
    if compressed:
        import os
        os.remove(path)
    with pytest.raises(IdxFormatError, match=r'header \[12, 5, 5\] needs 316'):
        FashionMNIST(data_root=str(tmp_path), split='train', check_md5=False)
    if compressed:
        gz = open(path + '.gz', 'rb').read()
        with open(path + '.gz', 'wb') as f:
            f.write(gz[:len(gz) // 2])
        with pytest.raises(IdxFormatError, match='not a readable gzip'):
            FashionMNIST(data_root=str(tmp_path), split='train',
                         check_md5=False)


def test_label_image_count_mismatch(tmp_path):
    images, labels = _arrays()
    _write_split(str(tmp_path), images, labels[:-1], 'train')
    with pytest.raises(IdxFormatError, match='holds 12 images but .* 11 '
                       'labels'):
        FashionMNIST(data_root=str(tmp_path), split='train', check_md5=False)


def test_label_out_of_range(tmp_path):
    images, labels = _arrays()
    labels[3] = 10
    _write_split(str(tmp_path), images, labels, 'train')
    with pytest.raises(IdxFormatError, match='label 10 out of range'):
        FashionMNIST(data_root=str(tmp_path), split='train', check_md5=False)


def test_subset_resize_pad(tmp_path):
    write_fashion_mnist(str(tmp_path), num_train=100, num_test=10)
    ds = FashionMNIST(data_root=str(tmp_path), check_md5=False,
                      num_samples=30, subset_seed=1)
    assert len(ds) == 30
    # stratified: 3 per class of the balanced 100
    assert np.bincount([ds.get_data_info(i)['gt_label']
                        for i in range(30)]).tolist() == [3] * 10
    small = FashionMNIST(data_root=str(tmp_path), check_md5=False,
                         image_size=14, pad=1, num_samples=10)
    img = small.get_data_info(0)['img']
    assert img.shape == (16, 16) and img.dtype == np.uint8
    assert img[0].max() == 0 and img[:, -1].max() == 0  # the zero border
    # an antialiased bilinear 28 -> 14 resize is a separable triangle
    # filter of half-width 2 input pixels around the half-pixel centre
    # 2i + 0.5 (weights 1/8, 3/8, 3/8, 1/8; renormalised at the border)
    full = FashionMNIST(data_root=str(tmp_path), check_md5=False,
                        num_samples=10)
    src = full.get_data_info(0)['img'].astype(np.float64)
    j = np.arange(28)
    M = np.maximum(0., 1. - np.abs(j[None] - (2 * np.arange(14) + .5)[:, None])
                   / 2.)
    M /= M.sum(1, keepdims=True)
    np.testing.assert_allclose(img[1:-1, 1:-1], M @ src @ M.T, atol=0.51)
    with pytest.raises(ValueError, match='num_samples=200 but the train '
                       'split has 100'):
        FashionMNIST(data_root=str(tmp_path), check_md5=False,
                     num_samples=200)


def test_writer_files_and_pipeline(tmp_path):
    md5s = write_fashion_mnist(str(tmp_path), num_train=20, num_test=10,
                               compressed=False)
    for name, md5 in md5s.items():
        assert md5_hex(open(osp.join(str(tmp_path), name), 'rb').read()) \
            == md5
    header = open(osp.join(str(tmp_path), 't10k-images-idx3-ubyte'),
                  'rb').read()[:16]
    assert struct.unpack('>4I', header) == (2051, 10, 28, 28)
    ds = FashionMNIST(
        data_root=str(tmp_path), split='train', check_md5=False,
        pipeline=[dict(type='mmpretrain.RandomCrop', crop_size=28,
                       padding=2),
                  dict(type='mmpretrain.RandomFlip', prob=0.5,
                       direction='horizontal'),
                  dict(type='mmpretrain.PackInputs')])
    out = ds[0]
    assert tuple(out['inputs'].shape) == (1, 28, 28)
