"""The CIFAR-10 AutoAugment policy against torchvision's copy of it.

torchvision ships the same policy (``AutoAugmentPolicy.CIFAR10``) and level
bins (``_augmentation_space``); we compare op names, probabilities, magnitudes
and sign handling sub-policy by sub-policy, then the outputs of single ops
pixel for pixel where mmcv and torchvision implement them alike.
"""
import math
import os.path as osp

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as F
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from torchvision.transforms import AutoAugment as TVAutoAugment
from torchvision.transforms import AutoAugmentPolicy, InterpolationMode
from torchvision.transforms.autoaugment import _apply_op

from mmddarts.datasets.transforms import (CIFAR10AutoAugment,
                                          level_to_magnitude, op_to_transform)
from mmddarts.registry import TRANSFORMS
from mmddarts.utils.config_utils import replace_data_root

SIZE = 32
NEAREST = InterpolationMode.NEAREST
FILL = [7, 100, 200]
TV = TVAutoAugment(AutoAugmentPolicy.CIFAR10)
TV_POLICIES = TV._get_policies(AutoAugmentPolicy.CIFAR10)
TV_SPACE = TV._augmentation_space(10, (SIZE, SIZE))
# torchvision op -> (mmpretrain class, direction)
NAMES = {
    'Invert': ('Invert', None), 'Equalize': ('Equalize', None),
    'AutoContrast': ('AutoContrast', None), 'Posterize': ('Posterize', None),
    'Solarize': ('Solarize', None), 'Rotate': ('Rotate', None),
    'Brightness': ('Brightness', None), 'Color': ('ColorTransform', None),
    'Contrast': ('Contrast', None), 'Sharpness': ('Sharpness', None),
    'ShearX': ('Shear', 'horizontal'), 'ShearY': ('Shear', 'vertical'),
    'TranslateX': ('Translate', 'horizontal'),
    'TranslateY': ('Translate', 'vertical'),
}


@pytest.fixture
def scope():
    init_default_scope('mmpretrain')


def _img(seed=0, low_contrast=False):
    img = np.random.default_rng(seed).integers(0, 256, (SIZE, SIZE, 3),
                                               dtype=np.uint8)
    if low_contrast:  # so AutoContrast/Equalize have work to do
        img = (img // 3 + 50).astype(np.uint8)
    return img


def _hwc(t):
    return t.permute(1, 2, 0).numpy()


def _chw(img):
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)


def _ours(op, level, img, negative=False):
    """Our transform for (op, level), always applied, sign forced."""
    cfg = op_to_transform(op, 1.0, level, SIZE, pad_val=FILL)
    if 'random_negative_prob' in cfg:
        cfg['random_negative_prob'] = 1.0 if negative else 0.0
    return TRANSFORMS.build(cfg)(dict(img=img.copy()))['img']


def _tv_magnitude(op, level):
    bins, signed = TV_SPACE[op]
    return (float(bins[level].item()) if bins.ndim > 0 else 0.0), signed


def test_policy_matches_torchvision(scope):
    aug = CIFAR10AutoAugment()
    assert len(TV_POLICIES) == 25 and len(aug.transforms) == 25
    for i, (tv_sub, ours) in enumerate(zip(TV_POLICIES, aug.transforms)):
        assert len(ours.transforms) == len(tv_sub) == 2, i
        for (op, prob, level), t in zip(tv_sub, ours.transforms):
            where = f'sub-policy {i} op {op}'
            name, direction = NAMES[op]
            assert type(t).__name__ == name, where
            assert t.prob == prob, where
            if direction is not None:
                assert t.direction == direction, where
            if level is None:  # no magnitude in torchvision either
                assert op in ('Invert', 'Equalize', 'AutoContrast'), where
                continue
            mag, signed = _tv_magnitude(op, level)
            # torchvision flips signed ops with p=0.5; mmpretrain likewise
            assert t.random_negative_prob == (0.5 if signed else 0.), where
            if name == 'Translate':  # same whole-pixel shift on 32x32
                assert t.magnitude * SIZE == int(mag), where
                assert float(t.magnitude * SIZE).is_integer(), where
            elif name == 'Posterize':
                assert t.bits == int(mag), where
            elif name == 'Solarize':
                assert t.thr == pytest.approx(mag), where
            elif name == 'Rotate':
                assert t.angle == pytest.approx(mag), where
            else:  # Shear (tan), Brightness/Color/Contrast/Sharpness factor
                assert t.magnitude == pytest.approx(mag), where
            if name in ('Shear', 'Rotate', 'Translate'):
                assert t.interpolation == 'nearest', where
                assert t.pad_val == (125, 123, 114), where


def test_level_to_magnitude_by_hand():
    assert level_to_magnitude('Posterize', 7) == 5  # 8 - round(28 / 9)
    assert level_to_magnitude('Posterize', 0) == 8
    assert level_to_magnitude('Posterize', 9) == 4
    assert level_to_magnitude('Solarize', 2) == pytest.approx(255 * 7 / 9)
    assert level_to_magnitude('Solarize', 9) == 0
    assert level_to_magnitude('Rotate', 2) == pytest.approx(20 / 3)
    assert level_to_magnitude('ShearY', 9) == pytest.approx(0.3)
    assert level_to_magnitude('Color', 0) == 0
    # 150/331*32 = 14.50 px at level 9, 4.83 px at level 3
    assert level_to_magnitude('TranslateX', 9) == 14 / 32
    assert level_to_magnitude('TranslateY', 3) == 4 / 32
    assert level_to_magnitude('TranslateY', 9, image_size=331) == 150 / 331
    assert level_to_magnitude('Invert', None) is None
    with pytest.raises(KeyError, match='Blur'):
        level_to_magnitude('Blur', 3)
    with pytest.raises(ValueError, match='Rotate.*0..9'):
        level_to_magnitude('Rotate', 10)
    with pytest.raises(ValueError, match='probability'):
        op_to_transform('Invert', 1.5, None)


# Nearest-neighbour resampling in two implementations (cv2's warpAffine via
# mmcv, torch's grid_sample via torchvision) agrees except where the source
# coordinate of an output pixel lies on a rounding boundary (k + 0.5, or the
# image border -0.5 / size - 0.5): cv2 quantises coordinates to 1/1024 px
# and rounds half up, torch rounds float32 coordinates half to even, and
# either side of a tie is right. Such pixels are excused when closer to a
# boundary than TIE_TOL (a few cv2 quanta, far above float32's 4e-6 px at
# 32 px); everywhere else the two must agree exactly.
TIE_TOL = 4 / 1024


def _inverse_affine_map(forward, size=SIZE):
    """Source coordinates ``(sx, sy)`` (float64, pixel centres at integers)
    of every output pixel for cv2.warpAffine's forward 2x3 ``forward``."""
    full = np.vstack([np.asarray(forward, np.float64), [0., 0., 1.]])
    inv = np.linalg.inv(full)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    sx = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]
    sy = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]
    return sx, sy


def _near_tie(coord):
    return np.abs(coord - np.floor(coord) - 0.5) < TIE_TOL


def _assert_nearest_equal_off_ties(out, expected, img, sx, sy,
                                   max_ties=2 * SIZE):
    """Exact equality off ties; at a tie each output is a pixel on either
    side of the boundary (or the fill beyond the image)."""
    ties = _near_tie(sx) | _near_tie(sy)
    # the geometry decides how many pixels may differ: a bound, so the
    # exact comparison covers nearly the whole image
    assert ties.sum() <= max_ties, ties.sum()
    off = ~ties
    np.testing.assert_array_equal(out[off], expected[off])
    fill = np.array(FILL, np.uint8)
    for y, x in np.argwhere(ties):
        allowed = []
        for cx in {int(np.floor(sx[y, x] + 0.5 - TIE_TOL)),
                   int(np.floor(sx[y, x] + 0.5 + TIE_TOL))}:
            for cy in {int(np.floor(sy[y, x] + 0.5 - TIE_TOL)),
                       int(np.floor(sy[y, x] + 0.5 + TIE_TOL))}:
                inside = 0 <= cx < SIZE and 0 <= cy < SIZE
                allowed.append(img[cy, cx] if inside else fill)
        for name, got in (('ours', out[y, x]), ('torchvision',
                                                expected[y, x])):
            assert any((got == a).all() for a in allowed), \
                f'{name} at ({y}, {x}): {got} not in {allowed}'


def _rotate_map(angle_cw):
    """mmcv.imrotate's map: cv2.getRotationMatrix2D(centre, -angle, 1)
    about the centre of the image in pixel-centre coordinates."""
    c = (SIZE - 1) * 0.5
    a = math.radians(-angle_cw)
    alpha, beta = math.cos(a), math.sin(a)
    return _inverse_affine_map([[alpha, beta, (1 - alpha) * c - beta * c],
                                [-beta, alpha, beta * c + (1 - alpha) * c]])


@pytest.mark.parametrize('op,level', [
    ('Invert', None), ('Equalize', None), ('AutoContrast', None),
    ('Posterize', 7), ('Posterize', 9), ('Solarize', 2), ('Solarize', 8),
    ('Brightness', 7), ('Brightness', 9),
    ('Rotate', 2), ('Rotate', 9),
    ('TranslateX', 9), ('TranslateX', 8), ('TranslateY', 3),
    ('TranslateY', 9)])
@pytest.mark.parametrize('negative', [False, True])
def test_ops_equal_torchvision_pixel_for_pixel(scope, op, level, negative):
    img = _img(1, low_contrast=op in ('AutoContrast', 'Equalize'))
    mag, signed = _tv_magnitude(op, level) if level is not None else (0, 0)
    if signed and negative:
        mag = -mag
    if op == 'Rotate':  # mmcv: positive = clockwise; torchvision: counter-
        mag = -mag
    expected = _hwc(_apply_op(_chw(img), op, mag, NEAREST, FILL))
    out = _ours(op, level, img, negative)
    assert out.dtype == np.uint8
    if op == 'Rotate':  # resampled: exact off rounding ties
        _assert_nearest_equal_off_ties(out, expected, img,
                                       *_rotate_map(-mag))
    else:  # whole-pixel shifts and pointwise ops: exact everywhere
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize('level', [7, 8])
@pytest.mark.parametrize('negative', [False, True])
def test_shear_is_torchvision_about_pixel_centre(scope, level, negative):
    # torchvision's AutoAugment shears about the image corner (center=[0, 0]),
    # mmcv about the centre of pixel (0, 0): the same map, half a pixel apart.
    img = _img(2)
    tan = _tv_magnitude('ShearY', level)[0] * (-1 if negative else 1)
    out = _ours('ShearY', level, img, negative)
    # mmcv's positive vertical shear is torchvision's negative shear angle
    expected = _hwc(F.affine(
        _chw(img), angle=0., translate=[0, 0], scale=1.,
        shear=[0., -math.degrees(math.atan(tan))], interpolation=NEAREST,
        fill=FILL, center=[0.5, 0.5]))
    # mmcv.imshear: cv2.warpAffine with [[1, 0, 0], [tan, 1, 0]]. Level 7
    # (tan 7/30) puts column 15 on ties (15 * 7/30 = 3.5): one column.
    sx, sy = _inverse_affine_map([[1., 0., 0.], [tan, 1., 0.]])
    _assert_nearest_equal_off_ties(out, expected, img, sx, sy,
                                   max_ties=SIZE)
    corner = _hwc(_apply_op(_chw(img), 'ShearY', -tan, NEAREST, FILL))
    assert 0.5 < (out == corner).all(-1).mean() < 1.0


@pytest.mark.parametrize('level', [1, 5, 9])
@pytest.mark.parametrize('negative', [False, True])
def test_enhance_ops_within_rounding(scope, level, negative):
    mag = _tv_magnitude('Sharpness', level)[0] * (-1 if negative else 1)
    img = _img(3)
    # Sharpness: mmcv also smooths the 1-pixel border PIL/torchvision keep
    out = _ours('Sharpness', level, img, negative).astype(int)
    ref = _hwc(_apply_op(_chw(img), 'Sharpness', mag, NEAREST, None))
    inner = np.abs(out - ref.astype(int))[1:-1, 1:-1]
    assert inner.max() <= 1
    # Contrast on a grey image (mmcv's luma weights are BGR: see below)
    grey = np.repeat(img[..., :1], 3, axis=2)
    out = _ours('Contrast', level, grey, negative).astype(int)
    ref = _hwc(_apply_op(_chw(grey), 'Contrast', mag, NEAREST, None))
    assert np.abs(out - ref.astype(int)).max() <= 1
    # Color: mmcv's grey is BGR-weighted, so it matches torchvision on
    # channel-reversed input (on RGB CIFAR images R/B luma weights swap);
    # cv2 rounds the grey image, torchvision truncates it: up to 2 levels.
    out = _ours('Color', level, img[..., ::-1], negative)[..., ::-1]
    ref = _hwc(_apply_op(_chw(img), 'Color', mag, NEAREST, None))
    assert np.abs(out.astype(int) - ref.astype(int)).max() <= 2


def test_pad_value_reaches_the_ops(scope):
    # mmpretrain 1.2's AutoAugment ignores hparams when building its ops;
    # ours must not: rotate a white image, the corners show the pad colour.
    aug = CIFAR10AutoAugment(hparams=dict(pad_val=[1, 2, 3]))
    rotate = aug.transforms[1].transforms[0]
    rotate.prob, rotate.angle = 1.0, 30.0
    out = rotate(dict(img=np.full((SIZE, SIZE, 3), 255, np.uint8)))['img']
    assert tuple(out[0, 0]) == (1, 2, 3)
    assert tuple(out[SIZE // 2, SIZE // 2]) == (255, 255, 255)
    with pytest.raises(ValueError, match='image_size'):
        CIFAR10AutoAugment(image_size=0)


def _pipeline_types(cfg):
    return [t['type'] for t in cfg.train_dataloader.dataset.pipeline]


@pytest.mark.parametrize('name,mean', [
    ('darts-v2_c10_autoaug.py', (125, 123, 114)),
    ('do2-resnet18_c100_autoaug.py', (129, 124, 112))])
def test_autoaug_configs(repo_root, scope, name, mean):
    cfg = Config.fromfile(osp.join(repo_root, 'configs/train', name))
    assert _pipeline_types(cfg) == [
        'mmpretrain.RandomCrop', 'mmpretrain.RandomFlip',
        'mmddarts.CIFAR10AutoAugment', 'mmddarts.DARTSCutout',
        'mmpretrain.PackInputs']
    aug = Compose(cfg.train_dataloader.dataset.pipeline).transforms[2]
    assert isinstance(aug, CIFAR10AutoAugment)
    assert len(aug.policies) == len(aug.transforms) == 25
    assert aug.transforms[3].transforms[1].pad_val == mean  # TranslateY
    # the hole is the normalisation mean (0 once normalised)
    cutout = cfg.train_dataloader.dataset.pipeline[3]
    assert cutout.pad_val == cfg.data_preprocessor.mean


def test_config_pipeline_on_tiny_cifar10(repo_root, tiny_cifar10, scope):
    from mmddarts.registry import DATASETS
    cfg = Config.fromfile(
        osp.join(repo_root, 'configs/train/darts-v2_c10_autoaug.py'))
    replace_data_root(cfg, cfg.train_dataloader.dataset.data_root,
                      tiny_cifar10)
    cfg.train_dataloader.dataset.check_md5 = False
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert isinstance(dataset.pipeline.transforms[2], CIFAR10AutoAugment)
    np.random.seed(0)
    for i in range(len(dataset)):
        out = dataset[i]['inputs']
        # float: DARTSCutout fills with the exact (fractional) mean colour
        assert out.shape == (3, SIZE, SIZE) and out.dtype == torch.float32
