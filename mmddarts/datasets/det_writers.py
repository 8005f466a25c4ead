"""Writers of tiny detection / instance-segmentation data sets.

No data set can be downloaded here, so detection tests and the offline demo use
images of simple shapes (rectangles, ellipses, triangles) on a noisy
background,
with exact boxes and masks, written in the two layouts mmdet 3.x reads:

* :func:`write_tiny_coco` -- COCO layout (``annotations/instances_{split}2017
  .json`` + ``{split}2017/*.png``) with polygon masks, what mmdet's
  ``CocoDataset`` and ``configs/_base_/datasets/coco_*.py`` expect.
* :func:`write_tiny_cityscapes` -- the Cityscapes layout
  (``leftImg8bit/{split}/{city}/*_leftImg8bit.png``, ``gtFine/{split}/{city}/
  *_gtFine_{instanceIds,labelIds}.png``) plus the COCO-format json that mmdet's
  ``tools/dataset_converters/cityscapes.py`` would derive from it
  (``annotations/instancesonly_filtered_gtFine_{split}.json``: RLE masks,
  Cityscapes label ids as category ids), the files mmdet's
  ``CityscapesDataset`` and ``CityScapesMetric`` read.

Only numpy, Pillow and pycocotools are needed (no mmcv), and a seed fixes every
pixel, so the files are reproducible.
"""
import json
import os
import os.path as osp

import numpy as np

SHAPES = ('rectangle', 'ellipse', 'triangle')

# Cityscapes 'thing' classes that mmdet evaluates, with their Cityscapes label
# ids (cityscapesscripts.helpers.labels: hasInstances and not ignoreInEval).
CITYSCAPES_THINGS = (('person', 24), ('rider', 25), ('car', 26),
                     ('truck', 27), ('bus', 28), ('train', 31),
                     ('motorcycle', 32), ('bicycle', 33))


def _shape_polygon(kind, x0, y0, w, h, rng):
    """Outline of a shape in the box ``(x0, y0, w, h)``: [x1, y1, ...]."""
    if kind == 'rectangle':
        pts = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]
    elif kind == 'ellipse':
        t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        cx, cy = x0 + w / 2, y0 + h / 2
        pts = list(zip(cx + w / 2 * np.cos(t), cy + h / 2 * np.sin(t)))
    elif kind == 'triangle':
        apex = x0 + rng.uniform(0.2, 0.8) * w
        pts = [(apex, y0), (x0 + w, y0 + h), (x0, y0 + h)]
    else:
        raise ValueError(f'unknown shape {kind!r}; known: {SHAPES}')
    return [float(round(v, 2)) for p in pts for v in p]


def _polygon_mask(poly, height, width):
    from pycocotools import mask as mask_utils
    rle = mask_utils.frPyObjects([poly], height, width)
    return mask_utils.decode(mask_utils.merge(rle)).astype(bool)


def _background(rng, height, width):
    base = rng.integers(40, 90, size=3)
    noise = rng.normal(0, 12, size=(height, width, 3))
    return np.clip(base + noise, 0, 255)


def _place_boxes(rng, height, width, num, min_size, max_frac):
    """Up to ``num`` non-overlapping boxes (so masks never occlude)."""
    boxes = []
    for _ in range(num * 20):
        if len(boxes) == num:
            break
        w = int(rng.integers(min_size, max(min_size + 1,
                                           int(width * max_frac))))
        h = int(rng.integers(min_size, max(min_size + 1,
                                           int(height * max_frac))))
        if w >= width - 2 or h >= height - 2:
            continue
        x = int(rng.integers(1, width - w - 1))
        y = int(rng.integers(1, height - h - 1))
        if all(x + w + 1 < bx or bx + bw + 1 < x or y + h + 1 < by
               or by + bh + 1 < y for bx, by, bw, bh in boxes):
            boxes.append((x, y, w, h))
    return boxes


def _draw_image(rng, height, width, labels, max_objects, min_size,
                max_frac, colors):
    """Draw one image; return the RGB array and ``[(label, poly, mask)]``.

    ``labels[k]`` is drawn as ``SHAPES[k % 3]`` in a colour near
    ``colors[k]``, so shape and colour together identify the class.
    """
    img = _background(rng, height, width)
    num = int(rng.integers(1, max_objects + 1))
    objects = []
    for (x, y, w, h) in _place_boxes(rng, height, width, num, min_size,
                                     max_frac):
        k = int(rng.integers(len(labels)))
        poly = _shape_polygon(SHAPES[k % len(SHAPES)], x, y, w, h, rng)
        mask = _polygon_mask(poly, height, width)
        if mask.sum() < 4:
            continue
        color = np.clip(np.asarray(colors[k]) + rng.normal(0, 10, 3), 0, 255)
        img[mask] = color
        objects.append((k, poly, mask))
    return img.astype(np.uint8), objects


def _save_png(array, path):
    from PIL import Image
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def _dump_json(data, path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f)


def _class_colors(num, rng_seed=1234):
    rng = np.random.default_rng(rng_seed)
    return [tuple(int(c) for c in rng.integers(110, 256, 3))
            for _ in range(num)]


def write_tiny_coco(out_dir,
                    splits=(('train', 24), ('val', 8)),
                    img_size=(96, 128),
                    classes=SHAPES,
                    max_objects=3,
                    seed=0):
    """Write a tiny COCO-format detection + instance segmentation set.

    Layout (mmdet's ``coco_detection.py`` / ``coco_instance.py`` defaults)::

        out_dir/annotations/instances_{split}2017.json
        out_dir/{split}2017/{000000}.png

    Args:
        out_dir (str): root directory (``data_root`` in a config).
        splits: ``(name, number of images)`` pairs.
        img_size: ``(height, width)`` of every image.
        classes: class names; class ``k`` is drawn as ``SHAPES[k % 3]``.
        max_objects (int): at most this many objects per image (at least 1).
        seed (int): fixes every pixel.

    Returns:
        dict: split name -> path of its annotation file.
    """
    height, width = img_size
    colors = _class_colors(len(classes))
    categories = [dict(id=k + 1, name=name, supercategory='shape')
                  for k, name in enumerate(classes)]
    out = {}
    ann_id = 1
    for s, (split, num_images) in enumerate(splits):
        rng = np.random.default_rng([seed, s])
        images, annotations = [], []
        for i in range(num_images):
            img, objects = _draw_image(
                rng, height, width, classes, max_objects,
                min_size=max(8, min(height, width) // 8), max_frac=0.45,
                colors=colors)
            file_name = f'{i:06d}.png'
            _save_png(img, osp.join(out_dir, f'{split}2017', file_name))
            images.append(dict(id=i + 1, file_name=file_name,
                               height=height, width=width))
            for k, poly, mask in objects:
                xs, ys = poly[0::2], poly[1::2]
                x0, y0 = min(xs), min(ys)
                annotations.append(dict(
                    id=ann_id, image_id=i + 1, category_id=k + 1,
                    segmentation=[poly], area=float(mask.sum()),
                    bbox=[x0, y0, max(xs) - x0, max(ys) - y0], iscrowd=0))
                ann_id += 1
        path = osp.join(out_dir, 'annotations', f'instances_{split}2017.json')
        _dump_json(dict(images=images, annotations=annotations,
                        categories=categories), path)
        out[split] = path
    return out


def write_tiny_cityscapes(out_dir,
                          splits=(('train', 16), ('val', 6)),
                          img_size=(64, 128),
                          cities=('aachen', 'bremen'),
                          max_objects=3,
                          seed=0):
    """Write a tiny set in the Cityscapes layout mmdet 3.x reads.

    Layout (mmdet's ``cityscapes_instance.py`` defaults)::

        out_dir/leftImg8bit/{split}/{city}/{stem}_leftImg8bit.png
        out_dir/gtFine/{split}/{city}/{stem}_gtFine_instanceIds.png
        out_dir/gtFine/{split}/{city}/{stem}_gtFine_labelIds.png
        out_dir/annotations/instancesonly_filtered_gtFine_{split}.json

    with ``stem = f'{city}_000000_{i:06d}'``. The ``gtFine`` maps follow
    Cityscapes' encoding (instance id = label id * 1000 + index, uint16;
    stuff pixels carry label id 7 'road'), and the json
    is what mmdet's ``tools/dataset_converters/cityscapes.py`` derives from
    them: RLE masks, boxes from the masks, Cityscapes label ids (24..33) as
    category ids, ``file_name`` and ``segm_file`` relative to the split.

    Returns:
        dict: split name -> path of its annotation file.
    """
    from pycocotools import mask as mask_utils
    height, width = img_size
    names = [n for n, _ in CITYSCAPES_THINGS]
    label_ids = [i for _, i in CITYSCAPES_THINGS]
    colors = _class_colors(len(names))
    categories = [dict(id=i, name=n) for n, i in CITYSCAPES_THINGS]
    out = {}
    for s, (split, num_images) in enumerate(splits):
        rng = np.random.default_rng([seed, 100 + s])
        images, annotations = [], []
        for i in range(num_images):
            city = cities[i % len(cities)]
            stem = f'{city}_000000_{i:06d}'
            img, objects = _draw_image(
                rng, height, width, names, max_objects,
                min_size=max(8, min(height, width) // 5), max_frac=0.4,
                colors=colors)
            inst = np.full((height, width), 7, dtype=np.uint16)  # 'road'
            for n, (k, _, mask) in enumerate(objects):
                inst[mask] = label_ids[k] * 1000 + n
            labels = np.where(inst >= 1000, inst // 1000, inst).astype(
                np.uint8)
            _save_png(img, osp.join(out_dir, 'leftImg8bit', split, city,
                                    f'{stem}_leftImg8bit.png'))
            gt_dir = osp.join(out_dir, 'gtFine', split, city)
            _save_png(inst, osp.join(gt_dir, f'{stem}_gtFine_instanceIds.png'))
            _save_png(labels, osp.join(gt_dir, f'{stem}_gtFine_labelIds.png'))
            images.append(dict(
                file_name=f'{city}/{stem}_leftImg8bit.png', height=height,
                width=width, segm_file=f'{city}/{stem}_gtFine_labelIds.png',
                id=i))
            # As mmdet's converter: one RLE per instance id of the map.
            for inst_id in np.unique(inst[inst >= 1000]):
                mask = np.asarray(inst == inst_id, dtype=np.uint8, order='F')
                rle = mask_utils.encode(mask[:, :, None])[0]
                area = mask_utils.area(rle)
                bbox = mask_utils.toBbox(rle)
                rle['counts'] = rle['counts'].decode()
                annotations.append(dict(
                    iscrowd=0, category_id=int(inst_id // 1000),
                    bbox=bbox.tolist(), area=area.tolist(), segmentation=rle,
                    image_id=i, id=len(annotations)))
        path = osp.join(out_dir, 'annotations',
                        f'instancesonly_filtered_gtFine_{split}.json')
        _dump_json(dict(images=images, annotations=annotations,
                        categories=categories), path)
        out[split] = path
    return out
