"""Per-channel mean / std of an image data set (normalisation constants).

``tools/analysis_tools/dataset_stats.py`` computes them once and writes
``dataset_stats.json`` (by default into the data root);
``mmddarts.StatsClsDataPreprocessor`` normalises with them. Values are RGB
(or one grey value with ``channels=1``, for models with ``in_channels=1``),
in 0..255, over every pixel of every image (images of any size; in RGB a
grey image counts as R = G = B), the population standard deviation: what
mmpretrain's ``ClsDataPreprocessor(mean=..., std=..., to_rgb=True)``
expects.
"""
import json
import os.path as osp

import numpy as np

STATS_FILE = 'dataset_stats.json'


def compute_image_stats(paths, channels=3):
    """``dict(mean, std, num_images, num_pixels, min_size, max_size)`` of the
    image files ``paths`` (sizes as (width, height)); ``channels`` 3 (RGB)
    or 1 (grey: PIL's luminance conversion)."""
    from PIL import Image
    if channels not in (1, 3):
        raise ValueError(f'channels must be 1 (grey) or 3 (RGB), got '
                         f'{channels!r}')
    mode = 'L' if channels == 1 else 'RGB'
    total = np.zeros(channels, dtype=np.float64)
    total_sq = np.zeros(channels, dtype=np.float64)
    pixels = 0
    sizes = []
    for path in paths:
        try:
            with Image.open(path) as img:
                arr = np.asarray(img.convert(mode), dtype=np.float64)
        except Exception as err:
            raise ValueError(f'{path}: unreadable image '
                             f'({type(err).__name__}: {err})') from err
        flat = arr.reshape(-1, channels)
        total += flat.sum(0)
        total_sq += (flat * flat).sum(0)
        pixels += flat.shape[0]
        sizes.append((arr.shape[1], arr.shape[0]))
    if not pixels:
        raise ValueError('no images to compute statistics on')
    return _stats(total, total_sq, pixels, sizes)


def compute_array_stats(images):
    """The same statistics of ``uint8 [N, H, W]`` (grey, one channel) or
    ``[N, H, W, C]`` images held in memory (e.g. Fashion-MNIST's)."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or not len(images):
        raise ValueError(f'images must be [N, H, W] or [N, H, W, C] with '
                         f'N > 0, got shape {images.shape}')
    flat = images.reshape(-1, images.shape[-1]).astype(np.float64)
    sizes = [(images.shape[2], images.shape[1])] * len(images)
    return _stats(flat.sum(0), (flat * flat).sum(0), flat.shape[0], sizes)


def _stats(total, total_sq, pixels, sizes):
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
        if not (isinstance(vals, list) and len(vals) in (1, 3) and all(
                isinstance(v, (int, float)) for v in vals)):
            raise ValueError(f'{path}: {key!r} must be 3 numbers (RGB, '
                             f'0..255) or 1 (grey), got {vals!r}')
    if len(stats['mean']) != len(stats['std']):
        raise ValueError(f'{path}: mean has {len(stats["mean"])} channel(s), '
                         f'std {len(stats["std"])}')
    if min(stats['std']) <= 0:
        raise ValueError(f'{path}: std must be positive, got '
                         f'{stats["std"]} (constant images?)')
    return stats
