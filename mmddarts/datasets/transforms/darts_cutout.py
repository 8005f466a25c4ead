"""``mmddarts.DARTSCutout``: the Cutout of DARTS' training code.

DARTS (``utils.Cutout``, applied after ``ToTensor`` + ``Normalize``) draws the
centre ``(y, x)`` uniformly over the image's pixels and zeroes
``[y - L//2, y + L//2) x [x - L//2, x + L//2)`` clipped at *every* border, so
a hole near a border is smaller than ``L x L`` (about 16% fewer pixels than a
full 16x16 hole on average for CIFAR). mmpretrain's ``Cutout``
(``mmcv.cutout``) keeps the full hole at the top/left border instead.

Here the transform runs on the un-normalised image, before
``PackInputs``; the hole is filled with ``pad_val``. Give it the data
preprocessor's ``mean``: after ``(x - mean) / std`` the hole is exactly 0, as
in DARTS. A mean that is not a whole number does not fit a uint8 image, so
the image is then turned into float32 (the data preprocessor casts to float
anyway); integer fills keep the image's dtype.
"""
import numbers
from typing import Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmddarts.registry import TRANSFORMS


def cutout_box(height: int, width: int, y: int, x: int, length: int):
    """Rows ``y1:y2`` and columns ``x1:x2`` DARTS erases for centre
    ``(y, x)``: ``length // 2`` on each side, clipped at every border."""
    half = length // 2
    return (max(y - half, 0), min(y + half, height),
            max(x - half, 0), min(x + half, width))


@TRANSFORMS.register_module()
class DARTSCutout(BaseTransform):
    """Erase one ``length x length`` square (clipped at the borders) centred
    on a uniformly drawn pixel, as DARTS' Cutout does.

    Required keys: ``img``. Modified keys: ``img``.

    Args:
        length (int): Side of the square (DARTS: 16). The hole spans
            ``length // 2`` pixels on each side of the centre, so an odd
            length erases ``length - 1`` pixels per side, as in DARTS.
        pad_val (number | sequence): Fill, one value or one per channel.
            Use the data preprocessor's ``mean`` so the hole is 0 after
            normalisation (DARTS' zero in normalised space). Defaults to 0.
    """

    def __init__(self,
                 length: int = 16,
                 pad_val: Union[float, Sequence[float]] = 0):
        if not isinstance(length, int) or isinstance(length, bool) \
                or length < 1:
            raise ValueError('DARTSCutout: length must be a positive int, '
                             f'got {length!r}')
        values = [pad_val] if isinstance(pad_val, numbers.Number) \
            else list(pad_val)
        if not values or not all(
                isinstance(v, numbers.Number) and not isinstance(v, bool)
                for v in values):
            raise ValueError('DARTSCutout: pad_val must be a number or a '
                             f'sequence of numbers, got {pad_val!r}')
        self.length = length
        self.pad_val = tuple(float(v) for v in values)

    def _fill(self, img: np.ndarray) -> np.ndarray:
        channels = 1 if img.ndim == 2 else img.shape[2]
        if len(self.pad_val) not in (1, channels):
            raise ValueError(
                f'DARTSCutout: pad_val has {len(self.pad_val)} values but '
                f'the image has {channels} channel(s)')
        fill = np.asarray(self.pad_val, dtype=np.float64)
        return fill if img.ndim == 3 else fill[0]

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        fill = self._fill(img)
        if np.issubdtype(img.dtype, np.integer) and \
                not np.all(fill == np.round(fill)):
            img = img.astype(np.float32)  # keep the exact mean (see module)
        elif np.issubdtype(img.dtype, np.integer):
            info = np.iinfo(img.dtype)
            if fill.min() < info.min or fill.max() > info.max:
                raise ValueError(
                    f'DARTSCutout: pad_val {self.pad_val} does not fit a '
                    f'{img.dtype} image')
            img = img.copy()
        else:
            img = img.copy()
        # same draws, in the same order, as DARTS: y then x
        y = np.random.randint(h)
        x = np.random.randint(w)
        y1, y2, x1, x2 = cutout_box(h, w, y, x, self.length)
        img[y1:y2, x1:x2] = fill.astype(img.dtype)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(length={self.length}, '
                f'pad_val={self.pad_val})')
