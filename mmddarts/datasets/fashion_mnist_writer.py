"""Write small Fashion-MNIST-format idx files for tests and offline demos.

The files have the official names and format (see :mod:`.idx_format`), so
:class:`mmddarts.datasets.FashionMNIST` reads them with ``check_md5=False``.
The images are synthetic but learnable grey 28x28 pictures: class ``c`` is a
bright bar at angle ``c * 18`` degrees through the centre, each sample with a
random shift, width and pixel noise.
"""
import os.path as osp

import numpy as np

from .fashion_mnist import FILES
from .idx_format import write_idx


def synth_grey_images(labels, rng, size=28):
    """Class-dependent bars, ``uint8 [N, size, size]``."""
    labels = np.asarray(labels)
    n = len(labels)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) - (size - 1) / 2.
    theta = np.pi * labels / 10.
    shift = rng.uniform(-2, 2, (n, 2))
    width = rng.uniform(1.5, 3., n)
    # distance of each pixel to the line through the shifted centre
    dist = np.abs(
        (xx[None] - shift[:, 0, None, None]) * np.sin(theta)[:, None, None] -
        (yy[None] - shift[:, 1, None, None]) * np.cos(theta)[:, None, None])
    img = 220. * np.exp(-(dist / width[:, None, None])**2)
    img += rng.normal(0, 12., img.shape)
    return np.clip(img, 0, 255).round().astype(np.uint8)


def write_fashion_mnist(root, num_train=60, num_test=20, compressed=True,
                        seed=0, size=28):
    """Write the four idx files under ``root``.

    Args:
        root (str): Output folder (created).
        num_train, num_test (int): Images per split; labels cycle through
            the 10 classes (balanced when a multiple of 10).
        compressed (bool): ``.gz`` files (as Debian ships them) or plain.
        seed (int): Seed of the images.
        size (int): Image side.

    Returns:
        dict: file name (without ``.gz``) -> md5 of the decompressed file.
    """
    rng = np.random.default_rng(seed)
    md5s = {}
    for split, n in (('train', num_train), ('test', num_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        labels = labels[rng.permutation(n)]
        images = synth_grey_images(labels, rng, size)
        suffix = '.gz' if compressed else ''
        for name, array in zip(FILES[split], (images, labels)):
            md5s[name] = write_idx(osp.join(root, name + suffix), array)
    return md5s
