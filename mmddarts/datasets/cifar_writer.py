"""Write small CIFAR-format data sets that mmpretrain's real CIFAR code reads.

The files follow the official layout and pickle schema
(https://www.cs.toronto.edu/~kriz/cifar.html): ``cifar-10-batches-py/``
with ``data_batch_1..5``, ``test_batch`` and ``batches.meta``;
``cifar-100-python/`` with ``train``, ``test`` and ``meta``. Each ``data``
array is ``uint8 [N, 3072]``: the 1024 red, then green, then blue values of
a 32x32 image in row-major order.

The images are synthetic but learnable: class ``c`` has its own colour
(``c % 10``) and stripe orientation (``(c // 10 + c) % 10``; the pair is
unique for 100 classes), each sample a random phase, contrast, frequency
jitter and pixel noise. Since the md5 sums differ from the official ones, load
them with ``mmddarts.CIFAR10/CIFAR100(check_md5=False)``.
"""
import os
import os.path as osp
import pickle
from typing import Tuple

import numpy as np

from mmpretrain.datasets.categories import (CIFAR10_CATEGORIES,
                                            CIFAR100_CATEGORIES)

KINDS = ('cifar10', 'cifar100')

# Superclass of each CIFAR-100 fine label (fine labels in alphabetical order),
# as in the official files.
CIFAR100_COARSE_OF_FINE = (
    4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11, 6, 11,
    5, 10, 7, 6, 13, 15, 3, 15, 0, 11, 1, 10, 12, 14, 16, 9, 11, 5, 5, 19, 8,
    8, 15, 13, 14, 17, 18, 10, 16, 4, 17, 4, 2, 0, 17, 4, 18, 17, 10, 3, 2, 12,
    12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16, 12, 9, 13, 15, 13, 16, 19, 2, 4, 6,
    19, 5, 5, 8, 19, 18, 1, 2, 15, 6, 0, 17, 8, 14, 13)
CIFAR100_COARSE_NAMES = (
    'aquatic_mammals', 'fish', 'flowers', 'food_containers',
    'fruit_and_vegetables', 'household_electrical_devices',
    'household_furniture', 'insects', 'large_carnivores',
    'large_man-made_outdoor_things', 'large_natural_outdoor_scenes',
    'large_omnivores_and_herbivores', 'medium_mammals',
    'non-insect_invertebrates', 'people', 'reptiles', 'small_mammals',
    'trees', 'vehicles_1', 'vehicles_2')

# Ten well separated RGB colours in [0, 1].
_PALETTE = np.array([[1.0, 0.2, 0.2], [0.2, 1.0, 0.2], [0.2, 0.2, 1.0],
                     [1.0, 1.0, 0.2], [1.0, 0.2, 1.0], [0.2, 1.0, 1.0],
                     [1.0, 0.6, 0.2], [0.6, 0.2, 1.0], [0.9, 0.9, 0.9],
                     [0.4, 0.4, 0.4]])


def synth_images(labels: np.ndarray, rng: np.random.Generator,
                 size: int = 32) -> np.ndarray:
    """Class-dependent striped images, uint8 ``[N, size, size, 3]``."""
    labels = np.asarray(labels)
    n = len(labels)
    color = _PALETTE[labels % 10]  # [N, 3]
    theta = np.pi * ((labels // 10 + labels) % 10) / 10.  # [N]
    freq = 3. + rng.uniform(-0.3, 0.3, n)  # cycles per image
    phase = rng.uniform(0, 2 * np.pi, n)
    contrast = rng.uniform(0.6, 1.0, n)
    yy, xx = np.meshgrid(np.arange(size), np.arange(size), indexing='ij')
    proj = (xx[None] * np.cos(theta)[:, None, None] +
            yy[None] * np.sin(theta)[:, None, None]) / size
    stripes = 0.5 + 0.5 * contrast[:, None, None] * np.sin(
        2 * np.pi * freq[:, None, None] * proj + phase[:, None, None])
    img = 0.15 + 0.7 * color[:, None, None, :] * stripes[..., None]
    img = img + rng.normal(0., 0.05, img.shape)
    return (np.clip(img, 0., 1.) * 255.).round().astype(np.uint8)


def make_cifar_split(kind: str, split: str, num: int,
                     seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """The images (uint8 HWC) and labels that :func:`write_cifar` stores.

    Labels are balanced (``num // classes`` or one more each) and shuffled.
    """
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {KINDS}, got {kind!r}')
    if split not in ('train', 'test'):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    num_classes = 10 if kind == 'cifar10' else 100
    # One independent stream per split, both fixed by ``seed``.
    stream = np.random.SeedSequence(seed).spawn(2)[split == 'test']
    rng = np.random.default_rng(stream)
    labels = rng.permutation(np.arange(num) % num_classes)
    return synth_images(labels, rng), labels.astype(np.int64)


def _dump(obj: dict, path: str) -> None:
    with open(path, 'wb') as f:
        # Protocol 2, like the official (Python 2) files.
        pickle.dump(obj, f, protocol=2)


def _flatten(imgs: np.ndarray) -> np.ndarray:
    """HWC images to the official ``[N, 3072]`` channel-major rows."""
    return np.ascontiguousarray(imgs.transpose(0, 3, 1, 2)).reshape(
        len(imgs), -1)


def write_cifar(root: str,
                kind: str = 'cifar10',
                num_train: int = 100,
                num_test: int = 50,
                seed: int = 0) -> str:
    """Write a CIFAR-format data set under ``root``.

    Args:
        root (str): The data root, e.g. ``data/cifar10``; the official
            sub-folder (``cifar-10-batches-py`` or ``cifar-100-python``) is
            created inside it.
        kind (str): ``'cifar10'`` or ``'cifar100'``.
        num_train (int): Training images (CIFAR-10 spreads them over the five
            ``data_batch_*`` files).
        num_test (int): Test images.
        seed (int): Seed of images and labels.

    Returns:
        str: The folder holding the written files.
    """
    train_imgs, train_labels = make_cifar_split(kind, 'train', num_train, seed)
    test_imgs, test_labels = make_cifar_split(kind, 'test', num_test, seed)
    if kind == 'cifar10':
        folder = osp.join(root, 'cifar-10-batches-py')
        os.makedirs(folder, exist_ok=True)
        chunks = np.array_split(np.arange(num_train), 5)
        for i, idx in enumerate(chunks, 1):
            _dump(
                dict(
                    batch_label=f'training batch {i} of 5',
                    labels=train_labels[idx].tolist(),
                    data=_flatten(train_imgs[idx]),
                    filenames=[f'synthetic_{j:05d}.png' for j in idx]),
                osp.join(folder, f'data_batch_{i}'))
        _dump(
            dict(
                batch_label='testing batch 1 of 1',
                labels=test_labels.tolist(),
                data=_flatten(test_imgs),
                filenames=[f'synthetic_test_{j:05d}.png'
                           for j in range(num_test)]),
            osp.join(folder, 'test_batch'))
        _dump(
            dict(
                num_cases_per_batch=max(len(c) for c in chunks),
                label_names=list(CIFAR10_CATEGORIES),
                num_vis=3072), osp.join(folder, 'batches.meta'))
        return folder

    folder = osp.join(root, 'cifar-100-python')
    os.makedirs(folder, exist_ok=True)
    coarse = np.asarray(CIFAR100_COARSE_OF_FINE)
    for name, imgs, labels in (('train', train_imgs, train_labels),
                               ('test', test_imgs, test_labels)):
        _dump(
            dict(
                filenames=[f'synthetic_{name}_{j:05d}.png'
                           for j in range(len(labels))],
                batch_label=f'{name}ing batch 1 of 1',
                fine_labels=labels.tolist(),
                coarse_labels=coarse[labels].tolist(),
                data=_flatten(imgs)), osp.join(folder, name))
    _dump(
        dict(
            fine_label_names=list(CIFAR100_CATEGORIES),
            coarse_label_names=list(CIFAR100_COARSE_NAMES)),
        osp.join(folder, 'meta'))
    return folder
