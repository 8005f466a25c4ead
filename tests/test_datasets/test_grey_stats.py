"""One-channel normalisation: dataset_stats.py (grey folders and
Fashion-MNIST idx files), StatsClsDataPreprocessor and mmpretrain's
ClsDataPreprocessor on 1-channel batches."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmddarts.testing.tools import load_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_grey_folder_stats(tmp_path):
    dataset_stats = load_tool('tools/analysis_tools/dataset_stats.py')
    rng = np.random.RandomState(0)
    arrays = []
    for k, name in enumerate(('a', 'b')):
        os.makedirs(tmp_path / name)
        for i in range(3):
            arr = rng.randint(0, 200, size=(6, 5)).astype(np.uint8) + 20 * k
            Image.fromarray(arr, mode='L').save(tmp_path / name / f'{i}.png')
            arrays.append(arr)
    out = str(tmp_path / 'stats.json')
    assert dataset_stats.main([str(tmp_path), '--channels', '1', '--out',
                               out]) == 0
    stats = json.load(open(out))
    pixels = np.concatenate([a.ravel() for a in arrays]).astype(np.float64)
    assert len(stats['mean']) == len(stats['std']) == 1
    np.testing.assert_allclose(stats['mean'], [pixels.mean()], atol=1e-4)
    np.testing.assert_allclose(stats['std'], [pixels.std()], atol=1e-4)


def test_fashion_mnist_stats(tmp_path):
    dataset_stats = load_tool('tools/analysis_tools/dataset_stats.py')

    from mmddarts.datasets.idx_format import write_idx
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (30, 4, 4), dtype=np.uint8)
    write_idx(str(tmp_path / 'train-images-idx3-ubyte.gz'), images)
    write_idx(str(tmp_path / 'train-labels-idx1-ubyte.gz'),
              np.arange(30, dtype=np.uint8) % 10)
    out = str(tmp_path / 'stats.json')
    # the real files' md5s are checked: written files are refused ...
    with pytest.raises(SystemExit, match='md5'):
        dataset_stats.main([str(tmp_path), '--dataset', 'fashion-mnist',
                            '--out', out])
    # ... unless they carry the official contents
    from mmddarts.datasets import fashion_mnist as fm
    from mmddarts.datasets.idx_format import md5_hex, read_idx_bytes
    patched = {n: md5_hex(read_idx_bytes(str(tmp_path / (n + '.gz'))))
               for n in fm.FILES['train']}
    old = dict(fm.MD5)
    fm.MD5.update(patched)
    try:
        assert dataset_stats.main([str(tmp_path), '--dataset',
                                   'fashion-mnist', '--out', out]) == 0
    finally:
        fm.MD5.clear()
        fm.MD5.update(old)
    stats = json.load(open(out))
    px = images.astype(np.float64).ravel()
    np.testing.assert_allclose(stats['mean'], [px.mean()], atol=1e-4)
    np.testing.assert_allclose(stats['std'], [px.std()], atol=1e-4)
    assert stats['num_images'] == 30 and stats['num_classes'] == 10


def test_stats_preprocessor_one_channel(tmp_path):
    from mmddarts.models.data_preprocessors import StatsClsDataPreprocessor
    stats_file = str(tmp_path / 'grey.json')
    # built before the file exists (3-value placeholder), read at the first
    # batch: 1 value
    pre = StatsClsDataPreprocessor(stats_file=stats_file, num_classes=3)
    with open(stats_file, 'w') as f:
        json.dump(dict(mean=[10.], std=[4.]), f)
    x = torch.tensor([[[2, 30], [10, 50]]], dtype=torch.uint8)  # 1x2x2
    out = pre(dict(inputs=[x]))['inputs']
    assert out.shape == (1, 1, 2, 2)
    torch.testing.assert_close(
        out[0, 0], torch.tensor([[-2., 5.], [0., 10.]]))
    # a file that exists when it is built
    pre2 = StatsClsDataPreprocessor(stats_file=stats_file, num_classes=3)
    torch.testing.assert_close(pre2(dict(inputs=[x]))['inputs'], out)


def test_bad_stats_files(tmp_path):
    from mmddarts.datasets.image_stats import load_image_stats
    path = str(tmp_path / 's.json')
    with open(path, 'w') as f:
        json.dump(dict(mean=[1., 2.], std=[1., 1.]), f)
    with pytest.raises(ValueError, match='3 numbers .* or 1'):
        load_image_stats(path)
    with open(path, 'w') as f:
        json.dump(dict(mean=[1.], std=[1., 1., 1.]), f)
    with pytest.raises(ValueError, match='mean has 1 channel'):
        load_image_stats(path)


def test_mmpretrain_preprocessor_one_channel():
    from mmpretrain.models import ClsDataPreprocessor
    pre = ClsDataPreprocessor(mean=[72.94], std=[90.02], to_rgb=False)
    x = torch.full((1, 3, 3), 162.96).to(torch.uint8)  # rounds to 162
    out = pre(dict(inputs=[x]))['inputs']
    assert out.shape == (1, 1, 3, 3)
    torch.testing.assert_close(out, torch.full((1, 1, 3, 3),
                                               (162 - 72.94) / 90.02))
    # to_rgb leaves a single channel alone (it flips 3-channel inputs only)
    pre_rgb = ClsDataPreprocessor(mean=[72.94], std=[90.02], to_rgb=True)
    torch.testing.assert_close(pre_rgb(dict(inputs=[x]))['inputs'], out)
