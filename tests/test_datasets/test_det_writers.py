"""The tiny COCO / Cityscapes writers: files, geometry and mmdet loading."""
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmddarts.datasets.det_writers import (CITYSCAPES_THINGS,
                                           write_tiny_cityscapes,
                                           write_tiny_coco)

mask_utils = pytest.importorskip('pycocotools.mask')


def _mask_bbox(mask):
    ys, xs = np.nonzero(mask)
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def test_tiny_coco_layout_and_geometry(tmp_path):
    files = write_tiny_coco(str(tmp_path), splits=(('train', 5), ('val', 2)),
                            img_size=(48, 64), seed=3)
    assert set(files) == {'train', 'val'}
    assert files['train'] == osp.join(str(tmp_path), 'annotations',
                                      'instances_train2017.json')
    data = json.load(open(files['train']))
    assert [c['name'] for c in data['categories']] == [
        'rectangle', 'ellipse', 'triangle']
    assert len(data['images']) == 5 and data['annotations']
    ids = [a['id'] for a in data['annotations']]
    assert len(set(ids)) == len(ids)
    imgs = {im['id']: im for im in data['images']}
    for ann in data['annotations']:
        info = imgs[ann['image_id']]
        img = np.asarray(Image.open(
            osp.join(str(tmp_path), 'train2017', info['file_name'])))
        assert img.shape == (48, 64, 3)
        rle = mask_utils.merge(mask_utils.frPyObjects(
            ann['segmentation'], info['height'], info['width']))
        mask = mask_utils.decode(rle).astype(bool)
        assert ann['area'] == mask.sum() > 0
        # The box encloses the polygon's pixels (rasterisation may shave
        # at most one pixel on each side).
        x0, y0, w, h = ann['bbox']
        mx0, my0, mx1, my1 = _mask_bbox(mask)
        assert abs(mx0 - x0) <= 1 and abs(my0 - y0) <= 1
        assert abs(mx1 - (x0 + w)) <= 1 and abs(my1 - (y0 + h)) <= 1
        # Shapes are painted in bright colours (>= 110 before noise) over a
        # dark background (< 90 before noise): the mask is what is drawn.
        inside = img[mask].astype(float).mean()
        border = np.zeros_like(mask)
        border[max(0, int(y0) - 1):int(y0 + h) + 2,
               max(0, int(x0) - 1):int(x0 + w) + 2] = True
        outside = img[border & ~mask].astype(float).mean()
        assert inside > outside + 20
    # Deterministic for a seed.
    again = tmp_path / 'again'
    write_tiny_coco(str(again), splits=(('train', 5), ('val', 2)),
                    img_size=(48, 64), seed=3)
    assert json.load(open(again / 'annotations' /
                          'instances_train2017.json')) == data


def test_tiny_cityscapes_matches_gtfine(tmp_path):
    files = write_tiny_cityscapes(str(tmp_path),
                                  splits=(('train', 4), ('val', 2)))
    path = osp.join(str(tmp_path), 'annotations',
                    'instancesonly_filtered_gtFine_val.json')
    assert files['val'] == path
    data = json.load(open(files['train']))
    # Cityscapes label ids as mmdet's converter writes them.
    assert [(c['name'], c['id']) for c in data['categories']] == list(
        CITYSCAPES_THINGS)
    valid = {i for _, i in CITYSCAPES_THINGS}
    imgs = {im['id']: im for im in data['images']}
    seen = 0
    for ann in data['annotations']:
        info = imgs[ann['image_id']]
        assert info['file_name'].endswith('_leftImg8bit.png')
        city = info['file_name'].split('/')[0]
        assert osp.isfile(osp.join(str(tmp_path), 'leftImg8bit', 'train',
                                   info['file_name']))
        inst = np.asarray(Image.open(osp.join(
            str(tmp_path), 'gtFine', 'train',
            info['file_name'].replace('leftImg8bit', 'gtFine_instanceIds'))))
        labels = np.asarray(Image.open(osp.join(
            str(tmp_path), 'gtFine', 'train', info['segm_file'])))
        assert city in ('aachen', 'bremen')
        assert ann['category_id'] in valid
        mask = mask_utils.decode(ann['segmentation']).astype(bool)
        ids = np.unique(inst[mask])
        assert len(ids) == 1 and ids[0] // 1000 == ann['category_id']
        assert (inst == ids[0]).sum() == mask.sum() == ann['area']
        assert (labels[mask] == ann['category_id']).all()
        x0, y0, x1, y1 = _mask_bbox(mask)
        np.testing.assert_allclose(ann['bbox'], [x0, y0, x1 - x0, y1 - y0])
        seen += 1
    assert seen > 0


def test_mmdet_datasets_read_the_files(tmp_path):
    pytest.importorskip('mmdet')
    from mmdet.datasets import CityscapesDataset, CocoDataset
    write_tiny_coco(str(tmp_path / 'coco'), splits=(('train', 3),
                                                    ('val', 1)))
    write_tiny_cityscapes(str(tmp_path / 'cs'), splits=(('train', 3),
                                                        ('val', 1)))
    coco = CocoDataset(
        data_root=str(tmp_path / 'coco'),
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        metainfo=dict(classes=('rectangle', 'ellipse', 'triangle')),
        pipeline=[])
    ann = json.load(open(tmp_path / 'coco' / 'annotations' /
                         'instances_train2017.json'))
    assert len(coco) == 3
    assert sum(len(coco[i]['instances']) for i in range(3)) == len(
        ann['annotations'])
    assert osp.isfile(coco[0]['img_path'])
    cs = CityscapesDataset(
        data_root=str(tmp_path / 'cs'),
        ann_file='annotations/instancesonly_filtered_gtFine_train.json',
        data_prefix=dict(img='leftImg8bit/train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32), pipeline=[])
    ann = json.load(open(tmp_path / 'cs' / 'annotations' /
                         'instancesonly_filtered_gtFine_train.json'))
    assert len(cs) == 3
    labels = [i['bbox_label'] for k in range(3) for i in cs[k]['instances']]
    names = [n for n, _ in CITYSCAPES_THINGS]
    id2name = {c['id']: c['name'] for c in ann['categories']}
    assert sorted(labels) == sorted(
        names.index(id2name[a['category_id']]) for a in ann['annotations'])
    assert osp.isfile(cs[0]['img_path'])
