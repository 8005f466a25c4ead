"""Normalisation statistics of an image folder data set, computed once and
written next to it for ``mmddarts.StatsClsDataPreprocessor``.

The data set is read the way ``configs/search/ddarts_custom.py`` does
(``mmddarts.ImageFolderDataset``: a folder per class, or an annotation file
of ``path label`` lines; every image decoded once, so an empty class folder,
a single class or a broken image stops here, with its path).
"""
import json
import os.path as osp

from mmddarts.datasets import ImageFolderDataset
from mmddarts.datasets.image_stats import compute_image_stats
from mmddarts.utils.file_io import atomic_write_text


def dataset_stats(data_root, ann_file='', data_prefix='', channels=3):
    """RGB mean / std over every pixel (0..255, population std; one grey
    value with ``channels=1``), the image count and the class names of the
    data set under ``data_root``.

    Raises:
        ValueError, FileNotFoundError, RuntimeError: the data set cannot be
            read (the message names the path).
    """
    ds = ImageFolderDataset(data_root=data_root, data_prefix=data_prefix,
                            ann_file=ann_file, check_images=False)
    paths = [ds.get_data_info(i)['img_path'] for i in range(len(ds))]
    stats = compute_image_stats(paths, channels=channels)
    stats.update(
        classes=list(ds.metainfo['classes']),
        num_classes=len(ds.metainfo['classes']),
        data_root=osp.abspath(data_root),
        ann_file=ann_file or None)
    return stats


def fashion_mnist_stats(data_root):
    """Grey statistics of Fashion-MNIST's 60,000 training images (the idx
    files in ``data_root``)."""
    from mmddarts.datasets.fashion_mnist import (CLASSES,
                                                 load_fashion_mnist_arrays)
    from mmddarts.datasets.image_stats import compute_array_stats
    images, _ = load_fashion_mnist_arrays(data_root, 'train')
    stats = compute_array_stats(images)
    stats.update(classes=list(CLASSES), num_classes=len(CLASSES),
                 data_root=osp.abspath(data_root), ann_file=None)
    return stats


def write_stats(stats, out):
    """Write ``stats`` as indented JSON to ``out`` (directories made)."""
    atomic_write_text(out, json.dumps(stats, indent=1) + '\n')
