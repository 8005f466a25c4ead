"""``mmddarts.DARTSCutout`` against a re-implementation of DARTS' Cutout
(``utils.Cutout`` of the DARTS code, run after ToTensor + Normalize)."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from mmddarts.datasets.transforms import DARTSCutout
from mmddarts.registry import MODELS, TRANSFORMS


def darts_cutout(img_chw, length):
    """DARTS' Cutout, written out from its code: centre y then x drawn with
    np.random.randint, mask zero on [y-L//2, y+L//2) x [x-L//2, x+L//2)
    clipped at 0 and h/w, multiplied into the normalised tensor."""
    h, w = img_chw.shape[1], img_chw.shape[2]
    mask = np.ones((h, w), np.float32)
    y = np.random.randint(h)
    x = np.random.randint(w)
    y1 = np.clip(y - length // 2, 0, h)
    y2 = np.clip(y + length // 2, 0, h)
    x1 = np.clip(x - length // 2, 0, w)
    x2 = np.clip(x + length // 2, 0, w)
    mask[y1:y2, x1:x2] = 0.
    return img_chw * torch.from_numpy(mask).expand_as(img_chw)


class _Centres:
    """np.random.randint replacement returning given draws in order."""

    def __init__(self, draws):
        self.draws = list(draws)

    def __call__(self, high):
        value = self.draws.pop(0)
        assert 0 <= value < high
        return value


def _erased(length, centre, size=(32, 32), monkeypatch=None):
    img = np.full((*size, 3), 7, np.uint8)
    monkeypatch.setattr(np.random, 'randint', _Centres(centre))
    out = DARTSCutout(length=length, pad_val=0)(dict(img=img))['img']
    return int((out[..., 0] == 0).sum())


@pytest.mark.parametrize('centre,count', [
    ((16, 16), 16 * 16),  # inside: the full hole
    ((0, 0), 8 * 8),  # top-left corner: clipped at the top and the left
    ((31, 31), 9 * 9),  # bottom-right: rows/cols 23..31
    ((3, 20), 11 * 16),  # top border only: rows 0..10, cols 12..27
    ((28, 5), 12 * 13),  # bottom and left: rows 20..31, cols 0..12
])
def test_erased_pixels_for_given_centres(monkeypatch, centre, count):
    assert _erased(16, centre, monkeypatch=monkeypatch) == count


def test_odd_length_and_non_square_image(monkeypatch):
    # L=5: two pixels on each side of the centre (4x4 hole), as DARTS
    assert _erased(5, (4, 4), size=(8, 12), monkeypatch=monkeypatch) == 16
    # 8x12 image, L=16: rows 0..7 (all), cols 3..11
    assert _erased(16, (2, 11), size=(8, 12), monkeypatch=monkeypatch) == 72


def test_mean_erased_area_over_every_centre(monkeypatch):
    # per axis: centres 0..7 keep 8..15 rows, 8..23 keep 16, 24..31 keep
    # 16..9: sum 92 + 256 + 100 = 448, so 448^2 pixels over the 1024 centres
    # (mean 196, not the 256 of an unclipped hole)
    total = sum(
        _erased(16, (y, x), monkeypatch=monkeypatch)
        for y in range(32) for x in range(32))
    assert total == 448 * 448


def test_same_draws_same_result_as_darts_after_normalisation():
    mean = [125.3069, 122.9504, 113.8655]
    std = [62.9932, 62.0887, 66.7049]
    m = torch.tensor(mean).view(3, 1, 1)
    s = torch.tensor(std).view(3, 1, 1)
    rng = np.random.default_rng(1)
    cutout = DARTSCutout(length=16, pad_val=mean)
    for seed in range(20):
        img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        np.random.seed(seed)
        ours = cutout(dict(img=img.copy()))['img']
        ours = (torch.from_numpy(ours).permute(2, 0, 1).float() - m) / s
        np.random.seed(seed)
        ref = darts_cutout(
            (torch.from_numpy(img).permute(2, 0, 1).float() - m) / s, 16)
        assert torch.equal(ours, ref), seed


def test_config_pipeline_and_preprocessor_zero_the_hole(repo_root,
                                                        monkeypatch):
    """The CIFAR-10 base's Cutout + ClsDataPreprocessor: the hole is exactly
    0, everything else is the normalised image."""
    cfg = Config.fromfile(
        osp.join(repo_root, 'configs/_base_/datasets/cifar10.py'))
    init_default_scope('mmpretrain')
    pipeline = Compose([t for t in cfg.train_pipeline
                        if 'Cutout' in t['type'] or 'Pack' in t['type']])
    pre = MODELS.build(cfg.data_preprocessor)
    img = np.random.default_rng(0).integers(0, 256, (32, 32, 3), np.uint8)
    monkeypatch.setattr(np.random, 'randint', _Centres([30, 1]))
    packed = pipeline(dict(img=img.copy(), gt_label=0))
    x = pre(dict(inputs=[packed['inputs']],
                 data_samples=[packed['data_samples']]))['inputs'][0]
    hole = torch.zeros(32, 32, dtype=torch.bool)
    hole[22:32, 0:9] = True  # rows 22..31, cols 0..8
    assert torch.equal(x[:, hole], torch.zeros(3, int(hole.sum())))
    mean = torch.tensor(cfg.data_preprocessor.mean).view(3, 1)
    std = torch.tensor(cfg.data_preprocessor.std).view(3, 1)
    rest = torch.from_numpy(img).permute(2, 0, 1).float()[:, ~hole]
    torch.testing.assert_close(x[:, ~hole], (rest - mean) / std)


def test_fill_and_dtype():
    img = np.full((4, 4, 3), 9, np.uint8)
    np.random.seed(0)
    out = DARTSCutout(length=2, pad_val=[1, 2, 3])(dict(img=img))['img']
    assert out.dtype == np.uint8  # whole-number fill keeps uint8
    assert (out == [1, 2, 3]).all(-1).sum() == (out != 9).any(-1).sum() > 0
    out = DARTSCutout(length=2, pad_val=0.5)(dict(img=img))['img']
    assert out.dtype == np.float32 and (out == 0.5).all(-1).sum() > 0
    assert (img == 9).all()  # the input is not modified in place


def test_errors_and_registry():
    assert TRANSFORMS.get('DARTSCutout') is DARTSCutout
    with pytest.raises(ValueError, match='length'):
        DARTSCutout(length=0)
    with pytest.raises(ValueError, match='pad_val'):
        DARTSCutout(pad_val='mean')
    with pytest.raises(ValueError, match='2 values but the image has 3'):
        DARTSCutout(pad_val=[1, 2])(dict(img=np.zeros((4, 4, 3), np.uint8)))
    with pytest.raises(ValueError, match='does not fit'):
        DARTSCutout(pad_val=300)(dict(img=np.zeros((4, 4, 3), np.uint8)))
