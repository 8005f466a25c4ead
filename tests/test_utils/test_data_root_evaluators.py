"""``--cfg-options data_root=DIR`` must move the evaluators' ground truth
along with the dataloaders (mmdet's CocoMetric reads ``ann_file`` itself)."""
import os.path as osp
import re
import warnings

import pytest
from mmengine.config import Config

from mmddarts.utils.config_utils import apply_cfg_options

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_mmdet_coco_config_moves_evaluator_ann_file(tmp_path):
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs/detection/retinanet_do2-resnet18_fpn_tiny-shapes.py'))
    assert cfg.val_evaluator.ann_file == (
        'data/tiny_coco/annotations/instances_val2017.json')
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # nothing left behind: no warning
        new_root = str(tmp_path / 'my_coco') + '/'  # absolute, never read
        apply_cfg_options(cfg, {'data_root': new_root})
    want = new_root + 'annotations/instances_val2017.json'
    assert cfg.val_dataloader.dataset.data_root == new_root
    assert cfg.val_evaluator.ann_file == want
    assert cfg.test_evaluator.ann_file == want
    # the dataset's own ann_file is relative to its data_root: untouched
    assert not cfg.val_dataloader.dataset.ann_file.startswith(new_root)


def test_evaluator_lists_shared_dicts_and_root_without_slash():
    shared = dict(type='CocoMetric', ann_file='data/c/ann/val.json')
    cfg = Config(dict(
        data_root='data/c',
        val_dataloader=dict(dataset=dict(type='X', data_root='data/c')),
        val_evaluator=[
            shared,
            dict(type='Other', seg_prefix='data/c/gtFine/val',
                 files=('data/c/a.json', 'data/c2/b.json'),
                 outfile_prefix='./work_dirs/x'),
        ],
        test_evaluator=shared))
    # a new root *under* the old one must not be applied twice
    apply_cfg_options(cfg, {'data_root': 'data/c/sub'})
    assert cfg.val_evaluator[0].ann_file == 'data/c/sub/ann/val.json'
    assert cfg.test_evaluator.ann_file == 'data/c/sub/ann/val.json'
    assert cfg.val_evaluator[1].seg_prefix == 'data/c/sub/gtFine/val'
    # data/c2 is not under data/c; work_dirs is not under it either
    assert tuple(cfg.val_evaluator[1].files) == ('data/c/sub/a.json',
                                                 'data/c2/b.json')
    assert cfg.val_evaluator[1].outfile_prefix == './work_dirs/x'


def test_explicit_ann_file_option_wins():
    cfg = Config(dict(
        data_root='data/c/',
        val_dataloader=dict(dataset=dict(type='X', data_root='data/c/')),
        val_evaluator=dict(ann_file='data/c/ann.json')))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        apply_cfg_options(cfg, {'data_root': 'new/',
                                'val_evaluator.ann_file': 'new/other.json'})
    assert cfg.val_evaluator.ann_file == 'new/other.json'


def test_ann_file_outside_the_old_root_warns(tmp_path):
    elsewhere = str(tmp_path / 'elsewhere' / 'ann.json')  # never read
    cfg = Config(dict(
        data_root='data/c/',
        val_dataloader=dict(dataset=dict(type='X', data_root='data/c/')),
        val_evaluator=dict(ann_file=elsewhere)))
    with pytest.warns(UserWarning, match=r'val_evaluator\.ann_file=' +
                      re.escape(elsewhere)):
        apply_cfg_options(cfg, {'data_root': 'new/'})
    assert cfg.val_evaluator.ann_file == elsewhere
