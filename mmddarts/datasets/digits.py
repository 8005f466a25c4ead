"""scikit-learn's handwritten digits as a CIFAR-like offline dataset."""
from typing import List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.datasets import BaseDataset

from mmddarts.registry import DATASETS
from .split_utils import stratified_split

NUM_DIGITS = 1797  # images in sklearn.datasets.load_digits


def load_digits_arrays(image_size: int = 32):
    """All 1,797 digits as uint8 RGB ``(N, H, W, 3)`` images and int labels.

    The 8x8 originals hold integers 0..16; they are scaled to 0..255 and
    upsampled bilinearly (``align_corners=False``) so the images have CIFAR's
    size and layout.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:  # pragma: no cover - depends on the env
        raise ImportError(
            'mmddarts.DigitsDataset needs scikit-learn '
            '(pip install scikit-learn): the digits ship inside it') from e
    digits = load_digits()
    imgs = torch.from_numpy(digits.images.astype(np.float32) * (255. / 16.))
    imgs = F.interpolate(
        imgs[:, None], size=(image_size, image_size), mode='bilinear',
        align_corners=False)[:, 0]
    imgs = imgs.round().clamp_(0, 255).to(torch.uint8).numpy()
    imgs = np.repeat(imgs[..., None], 3, axis=-1)
    return np.ascontiguousarray(imgs), digits.target.astype(np.int64)


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """Handwritten digits (``sklearn.datasets.load_digits``) for offline runs.

    1,797 real 8x8 grey images of 10 classes, upsampled to ``image_size``
    (32 by default) uint8 RGB HxWx3 images like CIFAR's, so CIFAR pipelines
    and models apply unchanged. The train/test split is stratified and fixed
    by ``seed`` (numpy only, independent of the scikit-learn version):
    ``num_test`` (360) test images and 1,437 training images.

    Args:
        split (str): ``'train'`` or ``'test'``.
        num_test (int): Size of the test split. Defaults to 360.
        seed (int): Seed of the split. Defaults to 0.
        image_size (int): Output side length. Defaults to 32.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``
            (``pipeline``, ``metainfo``, ``test_mode``, ``lazy_init``...).
    """

    METAINFO = {'classes': tuple(str(i) for i in range(10))}
    SPLITS = ('train', 'test')

    def __init__(self,
                 split: str = 'train',
                 num_test: int = 360,
                 seed: int = 0,
                 image_size: int = 32,
                 test_mode: Optional[bool] = None,
                 **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'DigitsDataset: split must be one of '
                             f'{self.SPLITS}, got {split!r}')
        # 1,797 digits: each split needs at least one image
        if isinstance(num_test, bool) or not isinstance(num_test, int) or \
                not 0 < num_test < NUM_DIGITS:
            raise ValueError(f'DigitsDataset: num_test must be an integer in '
                             f'1..{NUM_DIGITS - 1}, got {num_test!r}')
        self.split = split
        self.num_test = num_test
        self.seed = seed
        self.image_size = image_size
        if test_mode is None:
            test_mode = split == 'test'
        super().__init__(ann_file='', test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        imgs, labels = load_digits_arrays(self.image_size)
        test_idx, train_idx = stratified_split(labels, self.num_test,
                                               self.seed)
        idx = train_idx if self.split == 'train' else test_idx
        return [{'img': imgs[i], 'gt_label': int(labels[i])} for i in idx]

    def extra_repr(self) -> List[str]:
        return [f'Split: \t{self.split} (seed {self.seed})']
