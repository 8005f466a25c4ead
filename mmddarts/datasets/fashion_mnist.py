"""Fashion-MNIST from the four original idx files, never downloaded.

Debian's ``dataset-fashion-mnist`` (``apt-get install dataset-fashion-mnist``)
installs them, gzip-compressed, in ``/usr/share/datasets/fashion-mnist/``.
mmpretrain's ``FashionMNIST(download=False)`` refuses that folder: it reads
only decompressed files and checks the md5s of the original ``.gz`` files,
which Debian recompressed. This dataset reads either form and checks the md5
of the *decompressed* contents, which are the same whoever compressed them.
"""
import os.path as osp
from typing import List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.datasets import BaseDataset

from mmddarts.registry import DATASETS
from .idx_format import IdxFormatError, md5_hex, parse_idx, read_idx_bytes
from .split_utils import stratified_split

DEFAULT_ROOT = '/usr/share/datasets/fashion-mnist'
INSTALL_CMD = 'apt-get install dataset-fashion-mnist'
# split -> (images, labels) file names, as released
FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
# md5 and size of the decompressed files (the data set's standard
# contents; Debian recompressed the .gz files, so their md5s differ)
MD5 = {
    'train-images-idx3-ubyte': 'f4a8712d7a061bf5bd6d2ca38dc4d50a',
    'train-labels-idx1-ubyte': '9018921c3c673c538a1fc5bad174d6f9',
    't10k-images-idx3-ubyte': '8181f5470baa50b63fa0f6fddb340f0a',
    't10k-labels-idx1-ubyte': '15d484375f8d13e6eb1aabb0c3f46965',
}
CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')


def find_idx_file(data_root, name):
    """``data_root/name`` or ``data_root/name.gz``, whichever exists (the
    decompressed one first); None when neither does."""
    for candidate in (name, name + '.gz'):
        path = osp.join(data_root, candidate)
        if osp.isfile(path):
            return path
    return None


def load_fashion_mnist_arrays(data_root=DEFAULT_ROOT, split='train',
                              check_md5=True):
    """Images ``uint8 [N, 28, 28]`` and labels ``int64 [N]`` of a split.

    Raises:
        FileNotFoundError: a file is missing (names every missing path and
            the install command).
        IdxFormatError: a file is malformed, its md5 is not the official
            one (with ``check_md5``), or images and labels disagree in
            number.
    """
    if split not in FILES:
        raise ValueError(f'FashionMNIST: split must be one of '
                         f'{tuple(FILES)}, got {split!r}')
    names = FILES[split]
    paths = [find_idx_file(data_root, n) for n in names]
    missing = [osp.join(data_root, n) + '[.gz]'
               for n, p in zip(names, paths) if p is None]
    if missing:
        raise FileNotFoundError(
            f'Cannot find Fashion-MNIST ({split}): missing '
            f'{", ".join(missing)}. Install it with `{INSTALL_CMD}` (files '
            f'in {DEFAULT_ROOT}) or point data_root at a folder with the '
            'original idx files (--cfg-options data_root=DIR); mmddarts '
            'never downloads data.')
    arrays = []
    for name, path, ndim in zip(names, paths, (3, 1)):
        data = read_idx_bytes(path)
        if check_md5 and md5_hex(data) != MD5[name]:
            raise IdxFormatError(
                f'{path}: decompressed md5 {md5_hex(data)} is not the '
                f'official {MD5[name]}; replace it with the original file '
                f'(`{INSTALL_CMD}`), or load written idx files with '
                'check_md5=False')
        arrays.append(parse_idx(data, ndim, path))
    images, labels = arrays
    if len(images) != len(labels):
        raise IdxFormatError(
            f'{paths[0]} holds {len(images)} images but {paths[1]} '
            f'{len(labels)} labels')
    if labels.size and labels.max() >= len(CLASSES):
        raise IdxFormatError(f'{paths[1]}: label {int(labels.max())} out of '
                             f'range 0..{len(CLASSES) - 1}')
    return images, labels.astype(np.int64)


def resize_images(images, size):
    """Bilinear (antialiased) resize of ``uint8 [N, H, W]`` images."""
    x = torch.from_numpy(np.asarray(images, dtype=np.float32))[:, None]
    x = F.interpolate(x, size=(size, size), mode='bilinear',
                      align_corners=False, antialias=True)
    return x[:, 0].round().clamp_(0, 255).to(torch.uint8).numpy()


@DATASETS.register_module()
class FashionMNIST(BaseDataset):
    """Fashion-MNIST (60,000 train / 10,000 test 28x28 grey images, 10
    classes) read from the original idx files, plain or ``.gz``.

    Images are ``uint8 [H, W]`` (one channel: mmpretrain's ``PackInputs``
    makes them ``[1, H, W]``); models take ``in_channels=1``.

    Args:
        data_root (str): Folder of the four idx files. Defaults to Debian's
            ``/usr/share/datasets/fashion-mnist``.
        split (str): ``'train'`` or ``'test'``.
        check_md5 (bool): Check the decompressed files against the official
            md5s. False loads any well-formed idx files (e.g. written by
            :func:`mmddarts.datasets.write_fashion_mnist`).
        num_samples (int, optional): Keep a stratified subset of this many
            images (fixed by ``subset_seed``), for CPU-sized runs.
        subset_seed (int): Seed of the subset. Defaults to 0.
        image_size (int, optional): Resize to this side (bilinear,
            antialiased), e.g. 14 or 16 for a cheap search.
        pad (int): Zero pixels added on each side after resizing (2 makes
            28x28 images 32x32, the size DARTS' auxiliary head expects).
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``
            (``pipeline``, ``test_mode``, ``lazy_init``...).
    """

    METAINFO = {'classes': CLASSES}

    def __init__(self,
                 data_root: str = DEFAULT_ROOT,
                 split: str = 'train',
                 check_md5: bool = True,
                 num_samples: Optional[int] = None,
                 subset_seed: int = 0,
                 image_size: Optional[int] = None,
                 pad: int = 0,
                 download: bool = False,
                 test_mode: Optional[bool] = None,
                 **kwargs):
        if download:
            raise ValueError(
                'FashionMNIST: download=True is not supported: mmddarts '
                f'never downloads data; install it with `{INSTALL_CMD}`')
        if split not in FILES:
            raise ValueError(f'FashionMNIST: split must be one of '
                             f'{tuple(FILES)}, got {split!r}')
        if num_samples is not None and (isinstance(num_samples, bool) or
                                        not isinstance(num_samples, int) or
                                        num_samples < 1):
            raise ValueError(f'FashionMNIST: num_samples must be a positive '
                             f'integer or None, got {num_samples!r}')
        if pad < 0:
            raise ValueError(f'FashionMNIST: pad must be >= 0, got {pad}')
        self.split = split
        self.check_md5 = check_md5
        self.num_samples = num_samples
        self.subset_seed = subset_seed
        self.image_size = image_size
        self.pad = pad
        if test_mode is None:
            test_mode = split == 'test'
        super().__init__(ann_file='', data_root=data_root,
                         test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        images, labels = load_fashion_mnist_arrays(
            self.data_root, self.split, self.check_md5)
        if self.num_samples is not None:
            if self.num_samples > len(labels):
                raise ValueError(
                    f'FashionMNIST: num_samples={self.num_samples} but the '
                    f'{self.split} split has {len(labels)} images')
            if self.num_samples < len(labels):
                idx, _ = stratified_split(labels, self.num_samples,
                                          self.subset_seed)
                idx = np.sort(idx)
                images, labels = images[idx], labels[idx]
        if self.image_size is not None and \
                self.image_size != images.shape[1]:
            images = resize_images(images, self.image_size)
        if self.pad:
            p = self.pad
            images = np.pad(images, ((0, 0), (p, p), (p, p)))
        images = np.ascontiguousarray(images)
        return [{'img': images[i], 'gt_label': int(labels[i])}
                for i in range(len(labels))]

    def extra_repr(self) -> List[str]:
        return [f'Split: \t{self.split}', f'Root: \t{self.data_root}']
