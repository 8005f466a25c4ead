"""Per-channel mean / std of an image data set (normalisation constants).

``tools/analysis_tools/dataset_stats.py`` computes them once and writes
``dataset_stats.json`` (by default into the data root);
``mmddarts.StatsClsDataPreprocessor`` normalises with them. Values are RGB,
in 0..255, over every pixel of every image (images of any size; a grey image
counts as R = G = B), the population standard deviation: what mmpretrain's
``ClsDataPreprocessor(mean=..., std=..., to_rgb=True)`` expects.
"""
import json
import os.path as osp

import numpy as np

STATS_FILE = 'dataset_stats.json'


def compute_image_stats(paths):
    """``dict(mean, std, num_images, num_pixels, min_size, max_size)`` of the
    image files ``paths`` (sizes as (width, height))."""
    from PIL import Image
    total = np.zeros(3, dtype=np.float64)
    total_sq = np.zeros(3, dtype=np.float64)
    pixels = 0
    sizes = []
    for path in paths:
        try:
            with Image.open(path) as img:
                arr = np.asarray(img.convert('RGB'), dtype=np.float64)
        except Exception as err:
            raise ValueError(f'{path}: unreadable image '
                             f'({type(err).__name__}: {err})') from err
        flat = arr.reshape(-1, 3)
        total += flat.sum(0)
        total_sq += (flat * flat).sum(0)
        pixels += flat.shape[0]
        sizes.append((arr.shape[1], arr.shape[0]))
    if not pixels:
        raise ValueError('no images to compute statistics on')
    mean = total / pixels
    var = np.maximum(total_sq / pixels - mean * mean, 0.)
    return dict(
        mean=[round(float(v), 4) for v in mean],
        std=[round(float(v), 4) for v in np.sqrt(var)],
        num_images=len(sizes),
        num_pixels=int(pixels),
        min_size=list(min(sizes, key=lambda s: s[0] * s[1])),
        max_size=list(max(sizes, key=lambda s: s[0] * s[1])))


def load_image_stats(path):
    """The ``mean`` / ``std`` lists of a stats file, checked."""
    try:
        with open(path) as f:
            stats = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(
            f'{path}: no normalisation statistics; compute them once with '
            f'`python tools/analysis_tools/dataset_stats.py '
            f'{osp.dirname(path) or "."}`') from None
    except json.JSONDecodeError as err:
        raise ValueError(f'{path}: not JSON ({err.msg})') from None
    for key in ('mean', 'std'):
        vals = stats.get(key)
        if not (isinstance(vals, list) and len(vals) == 3 and all(
                isinstance(v, (int, float)) for v in vals)):
            raise ValueError(f'{path}: {key!r} must be 3 numbers (RGB, '
                             f'0..255), got {vals!r}')
    if min(stats['std']) <= 0:
        raise ValueError(f'{path}: std must be positive, got '
                         f'{stats["std"]} (constant images?)')
    return stats
