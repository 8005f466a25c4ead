"""Search on your own images: mmddarts.ImageFolderDataset's input checks,
tools/analysis_tools/dataset_stats.py against statistics of the generated
pixels, a one-epoch configs/search/ddarts_custom.py search on a generated
3-class folder and one epoch of configs/train/ddarts_custom.py on its
result."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch

pytest.importorskip('mmpretrain')

from mmengine.config import Config  # noqa: E402
from PIL import Image  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmddarts.testing.search_runs import (experiment_name,  # noqa: E402
                                          run_train)
from mmddarts.testing.tools import load_tool  # noqa: E402

CLASSES = ('cat', 'dog', 'owl')
PER_CLASS = 8


def write_folder(root, classes=CLASSES, per_class=PER_CLASS, seed=0,
                 sizes=((10, 10), (12, 9))):
    """RGB PNGs, class k tinted in channel k; returns the pixel arrays."""
    rng = np.random.RandomState(seed)
    arrays = []
    for k, name in enumerate(classes):
        os.makedirs(osp.join(root, name), exist_ok=True)
        for i in range(per_class):
            w, h = sizes[i % len(sizes)]
            arr = rng.randint(0, 120, size=(h, w, 3)).astype(np.uint8)
            arr[..., k % 3] += 100
            Image.fromarray(arr).save(osp.join(root, name, f'{i}.png'))
            arrays.append(arr)
    return arrays


@pytest.fixture
def folder(tmp_path):
    root = str(tmp_path / 'images')
    return root, write_folder(root)


def build(root, **kwargs):
    from mmddarts.datasets import ImageFolderDataset
    return ImageFolderDataset(data_root=root, **kwargs)


def test_folder_per_class(folder):
    root, _ = folder
    ds = build(root, num_classes=3)
    assert ds.metainfo['classes'] == CLASSES
    assert len(ds) == 3 * PER_CLASS
    labels = sorted(ds.get_data_info(i)['gt_label'] for i in range(len(ds)))
    assert labels == sorted([0, 1, 2] * PER_CLASS)


def test_empty_class_folder_names_it(folder):
    root, _ = folder
    os.makedirs(osp.join(root, 'zebra'))
    with pytest.raises(ValueError, match=r'images/zebra: empty class folder'):
        build(root)


def test_single_class_is_an_error(tmp_path):
    root = str(tmp_path / 'one')
    write_folder(root, classes=('cat', ))
    with pytest.raises(ValueError, match=r'one: 1 class\(es\) found'):
        build(root)


def test_unreadable_image_names_the_file(folder):
    root, _ = folder
    with open(osp.join(root, 'dog', 'broken.png'), 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n not really an image')
    with pytest.raises(ValueError, match=r'dog/broken.png: unreadable image'):
        build(root)


def test_mixed_sizes_when_one_size_is_required(folder):
    root, _ = folder
    with pytest.raises(ValueError, match=r'cat/1.png: 12x9 image, but '
                       r'\S+cat/0.png is 10x10'):
        build(root, same_size=True)
    build(root)  # resized in the pipeline: fine


def test_num_classes_must_match(folder):
    root, _ = folder
    with pytest.raises(ValueError, match=r'3 classes found .* num_classes=5'):
        build(root, num_classes=5)


def test_annotation_file(folder, tmp_path):
    root, _ = folder
    lines = [f'{c}/{i}.png {k}' for k, c in enumerate(CLASSES)
             for i in range(PER_CLASS)]
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    ds = build(root, ann_file='train.txt', num_classes=3)
    assert len(ds) == 3 * PER_CLASS
    assert ds.get_data_info(PER_CLASS)['gt_label'] == 1


def test_dataset_stats_tool(folder, capsys):
    dataset_stats = load_tool('tools/analysis_tools/dataset_stats.py')
    root, arrays = folder
    assert dataset_stats.main([root]) == 0
    out = osp.join(root, 'dataset_stats.json')
    stats = json.load(open(out))
    pixels = np.concatenate([a.reshape(-1, 3) for a in arrays]).astype(
        np.float64)
    np.testing.assert_allclose(stats['mean'], pixels.mean(0), atol=1e-4)
    np.testing.assert_allclose(stats['std'], pixels.std(0), atol=1e-4)
    assert stats['classes'] == list(CLASSES) and stats['num_classes'] == 3
    assert stats['num_images'] == 3 * PER_CLASS
    # computed once: a second call keeps the file
    mtime = os.stat(out).st_mtime_ns
    assert dataset_stats.main([root]) == 0
    assert os.stat(out).st_mtime_ns == mtime
    assert 'exists' in capsys.readouterr().out


def test_stats_preprocessor_reads_the_file(folder, tmp_path):
    from mmddarts.models.data_preprocessors import StatsClsDataPreprocessor
    stats_file = str(tmp_path / 'late.json')
    pre = StatsClsDataPreprocessor(stats_file=stats_file, num_classes=3)
    batch = dict(inputs=[torch.zeros(3, 2, 2, dtype=torch.uint8)])
    with pytest.raises(FileNotFoundError, match='late.json.*dataset_stats'):
        pre(batch)
    with open(stats_file, 'w') as f:
        json.dump(dict(mean=[10., 20., 30.], std=[2., 4., 5.]), f)
    out = pre(batch)['inputs']  # BGR zeros -> RGB, normalised
    assert torch.allclose(out[0, :, 0, 0], torch.tensor([-5., -5., -6.]))


def _custom_env(monkeypatch, root, image_size=8):
    monkeypatch.setenv('DATA_ROOT', root)
    monkeypatch.setenv('NUM_CLASSES', '3')
    monkeypatch.setenv('IMAGE_SIZE', str(image_size))


def test_custom_search_then_train(folder, tmp_path, monkeypatch):
    dataset_stats = load_tool('tools/analysis_tools/dataset_stats.py')
    root, _ = folder
    dataset_stats.main([root])
    _custom_env(monkeypatch, root)
    cfg = Config.fromfile(osp.join(REPO, 'configs/search/ddarts_custom.py'))
    assert cfg.image_size == 8 and cfg.num_classes == 3
    work = str(tmp_path / 'search')
    cfg.work_dir = work
    cfg.experiment_name = experiment_name('custom')
    cfg.model.architecture.update(channels=4, num_cells=3, steps=2)
    cfg.train_cfg.max_epochs = 1
    cfg.log_level = 'WARNING'
    for key in ('train_dataloader', 'arch_dataloader', 'val_dataloader'):
        cfg[key].update(batch_size=4, num_workers=0, persistent_workers=False)
    for hook in cfg.custom_hooks:
        if hook.type == 'mmddarts.GenotypeExportHook':
            hook.draw = False
    runner = run_train(cfg)
    stats = json.load(open(osp.join(root, 'dataset_stats.json')))
    pre = runner.model.data_preprocessor
    assert torch.allclose(pre.mean.flatten(), torch.tensor(stats['mean']))
    assert torch.allclose(pre.std.flatten(), torch.tensor(stats['std']))
    assert runner.model.architecture(torch.zeros(1, 3, 8, 8)).shape == (1, 3)
    cost = json.load(open(osp.join(work, 'search_cost.json')))
    # two stratified halves of 12 images, each seen once
    assert cost['images'] == dict(weight_step=12, arch_step=12)
    genotype = osp.join(work, 'genotype_sparse_final.json')
    assert osp.isfile(genotype)

    monkeypatch.setenv('GENOTYPE', genotype)
    cfg = Config.fromfile(osp.join(REPO, 'configs/train/ddarts_custom.py'))
    assert cfg.model.backbone.genotype == genotype
    cfg.work_dir = str(tmp_path / 'train')
    cfg.experiment_name = experiment_name('custom_train')
    cfg.model.backbone.channels = 4
    cfg.train_cfg.max_epochs = 1
    cfg.log_level = 'WARNING'
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].update(batch_size=4, num_workers=0, persistent_workers=False)
    runner = run_train(cfg)
    assert runner.model.head.num_classes == 3
    # 80 / 20: int(0.8 * 24) = 19 training images, 5 validation images
    assert len(runner.train_dataloader.dataset) == 19
    assert len(runner.val_dataloader.dataset) == 5
