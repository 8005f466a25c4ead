"""The CIFAR-10 AutoAugment policy (Cubuk et al., CVPR 2019) for mmpretrain.

mmpretrain ships the ImageNet policy only. The CIFAR-10 policy below is the
one of the paper's appendix, in the form of DeepVoltaire's widely copied
PyTorch ``CIFAR10Policy`` and of torchvision (``AutoAugmentPolicy.CIFAR10``):
25 sub-policies of two ``(op, probability, level)`` triples, level in 0..9.
(D-DARTS trains with AutoAugment as FairDARTS and DARTS-family code do.)

Level -> magnitude (:func:`level_to_magnitude`) follows those two
implementations, which bin each op's range into 10 values
(``linspace(0, max, 10)[level]``, i.e. ``level / 9 * max``). The paper's
TensorFlow code scales by ``level / 10`` instead and maps Posterize and
Solarize differently; we follow the PyTorch implementations.

Each op becomes one of mmpretrain's transforms
(``mmpretrain.datasets.transforms.auto_augment``). How they relate to
torchvision's (checked pixel for pixel in
``tests/test_datasets/test_cifar_autoaugment.py``):

- Invert, Equalize, AutoContrast, Posterize (bits), Solarize (threshold),
  Brightness: identical outputs.
- Rotate: identical with nearest interpolation, but mmcv's positive angle is
  clockwise, torchvision's counter-clockwise; the sign is random (p=0.5) in
  both, so the policy is the same.
- Translate: torchvision shifts by ``int(150 / 331 * size * level / 9)``
  whole pixels; mmpretrain shifts by ``magnitude * size`` pixels. We store
  the whole-pixel shift of a ``image_size`` image (32 for CIFAR) as a
  fraction, so 32x32 images move by exactly torchvision's pixels
  (a fractional shift like 14.5 px would round differently).
- Shear: same ``tan`` magnitude and nearest interpolation (we set it;
  mmpretrain defaults to bicubic); mmcv shears about the centre of pixel
  (0, 0), torchvision about its corner, a 0.5 * magnitude pixel offset.
- Sharpness: equal up to 1 grey level inside the image; mmcv also filters
  the one-pixel border, which PIL/torchvision leave untouched.
- Contrast: equal up to 1 grey level on grey images. Color
  (``ColorTransform``) and Contrast compute luma with BGR weights
  (mmcv's ``bgr2gray``) while mmpretrain's CIFAR images are RGB, so the grey
  they blend towards swaps the red and blue weights (0.114 R + 0.299 B
  instead of 0.299 R + 0.114 B); on BGR input Color equals torchvision's
  ``adjust_saturation`` up to 2 grey levels (cv2 rounds the grey image,
  torchvision truncates it).

Rotate/Shear/Translate fill what they uncover with ``pad_val``; the configs
use the CIFAR mean colour (torchvision fills black, DeepVoltaire grey 128).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

# (op, probability, level) in the paper's / torchvision's op names. Levels of
# ops without a magnitude (Invert, Equalize, AutoContrast) are None.
CIFAR10_POLICY_LEVELS: List[Tuple[Tuple[str, float, Optional[int]], ...]] = [
    (('Invert', 0.1, None), ('Contrast', 0.2, 6)),
    (('Rotate', 0.7, 2), ('TranslateX', 0.3, 9)),
    (('Sharpness', 0.8, 1), ('Sharpness', 0.9, 3)),
    (('ShearY', 0.5, 8), ('TranslateY', 0.7, 9)),
    (('AutoContrast', 0.5, None), ('Equalize', 0.9, None)),
    (('ShearY', 0.2, 7), ('Posterize', 0.3, 7)),
    (('Color', 0.4, 3), ('Brightness', 0.6, 7)),
    (('Sharpness', 0.3, 9), ('Brightness', 0.7, 9)),
    (('Equalize', 0.6, None), ('Equalize', 0.5, None)),
    (('Contrast', 0.6, 7), ('Sharpness', 0.6, 5)),
    (('Color', 0.7, 7), ('TranslateX', 0.5, 8)),
    (('Equalize', 0.3, None), ('AutoContrast', 0.4, None)),
    (('TranslateY', 0.4, 3), ('Sharpness', 0.2, 6)),
    (('Brightness', 0.9, 6), ('Color', 0.2, 8)),
    (('Solarize', 0.5, 2), ('Invert', 0.0, None)),
    (('Equalize', 0.2, None), ('AutoContrast', 0.6, None)),
    (('Equalize', 0.2, None), ('Equalize', 0.6, None)),
    (('Color', 0.9, 9), ('Equalize', 0.6, None)),
    (('AutoContrast', 0.8, None), ('Solarize', 0.2, 8)),
    (('Brightness', 0.1, 3), ('Color', 0.7, 0)),
    (('Solarize', 0.4, 5), ('AutoContrast', 0.9, None)),
    (('TranslateY', 0.9, 9), ('TranslateY', 0.7, 9)),
    (('AutoContrast', 0.9, None), ('Solarize', 0.8, 3)),
    (('Equalize', 0.8, None), ('Invert', 0.1, None)),
    (('TranslateY', 0.7, 9), ('AutoContrast', 0.9, None)),
]

NUM_LEVELS = 10  # levels 0..9

# Largest magnitude (at level 9) of the ops scaled linearly from 0.
_MAX_MAGNITUDE = {
    'ShearX': 0.3,  # tan of the shear angle
    'ShearY': 0.3,
    'TranslateX': 150 / 331,  # fraction of the image size
    'TranslateY': 150 / 331,
    'Rotate': 30.,  # degrees
    'Brightness': 0.9,  # enhancement factor is 1 +- magnitude
    'Color': 0.9,
    'Contrast': 0.9,
    'Sharpness': 0.9,
}
_NO_MAGNITUDE = ('Invert', 'Equalize', 'AutoContrast')

# torchvision/paper op name -> mmpretrain transform (and its direction).
_MMPRETRAIN_OP = {
    'Invert': ('Invert', None),
    'Equalize': ('Equalize', None),
    'AutoContrast': ('AutoContrast', None),
    'Posterize': ('Posterize', None),
    'Solarize': ('Solarize', None),
    'Rotate': ('Rotate', None),
    'Brightness': ('Brightness', None),
    'Color': ('ColorTransform', None),
    'Contrast': ('Contrast', None),
    'Sharpness': ('Sharpness', None),
    'ShearX': ('Shear', 'horizontal'),
    'ShearY': ('Shear', 'vertical'),
    'TranslateX': ('Translate', 'horizontal'),
    'TranslateY': ('Translate', 'vertical'),
}


def level_to_magnitude(op: str,
                       level: Optional[int],
                       image_size: int = 32) -> Union[float, int, None]:
    """Magnitude of ``op`` at ``level`` (0..9), as torchvision bins it.

    Returns, per op:

    - linear ops (Shear*, Rotate, Brightness, Color, Contrast, Sharpness):
      ``level / 9 * max`` (max in ``_MAX_MAGNITUDE``), unsigned; the sign is
      drawn at random when the op runs.
    - Translate*: the shift as a fraction of the image size, rounded towards
      zero to whole pixels of an ``image_size`` image:
      ``int(150 / 331 * image_size * level / 9) / image_size``.
    - Posterize: bits kept, ``8 - round(level * 4 / 9)`` (8 .. 4).
    - Solarize: threshold ``255 * (1 - level / 9)`` (255 .. 0); pixels
      ``>= threshold`` are inverted.
    - Invert, Equalize, AutoContrast: None (no magnitude).
    """
    if op in _NO_MAGNITUDE:
        return None
    if op not in _MMPRETRAIN_OP:
        raise KeyError(f'auto_augment_policies: unknown AutoAugment op '
                       f'"{op}"; known: {sorted(_MMPRETRAIN_OP)}')
    if level is None or not 0 <= level < NUM_LEVELS:
        raise ValueError(f'auto_augment_policies: op "{op}" needs a level in '
                         f'0..{NUM_LEVELS - 1}, got {level!r}')
    frac = level / (NUM_LEVELS - 1)
    if op == 'Posterize':
        return 8 - round(4 * frac)
    if op == 'Solarize':
        return 255. * (1 - frac)
    if op.startswith('Translate'):
        # whole pixels like torchvision's int(), so the shift is exact
        return int(_MAX_MAGNITUDE[op] * image_size * frac) / image_size
    return _MAX_MAGNITUDE[op] * frac


def op_to_transform(op: str,
                    prob: float,
                    level: Optional[int],
                    image_size: int = 32,
                    pad_val: Union[int, Sequence[int], None] = None) -> Dict:
    """One ``(op, prob, level)`` triple as an mmpretrain transform config.

    ``pad_val`` fills the area that Rotate/Shear/Translate uncover; None keeps
    it out of the dict so ``AutoAugment``'s ``hparams`` can supply it.
    """
    if not 0. <= prob <= 1.:
        raise ValueError(f'auto_augment_policies: op "{op}" has probability '
                         f'{prob}, expected 0..1')
    magnitude = level_to_magnitude(op, level, image_size)
    name, direction = _MMPRETRAIN_OP[op]
    cfg = dict(type=f'mmpretrain.{name}', prob=prob)
    if op == 'Posterize':
        cfg['bits'] = magnitude
    elif op == 'Solarize':
        cfg['thr'] = magnitude
    elif op == 'Rotate':
        cfg.update(angle=magnitude, random_negative_prob=0.5)
    elif magnitude is not None:
        cfg.update(magnitude=magnitude, random_negative_prob=0.5)
    if direction is not None:
        cfg['direction'] = direction
    if name == 'Shear':
        cfg['interpolation'] = 'nearest'  # as torchvision and the paper
    if pad_val is not None and name in ('Rotate', 'Shear', 'Translate'):
        cfg['pad_val'] = pad_val
    return cfg


def cifar10_policy(image_size: int = 32,
                   pad_val: Union[int, Sequence[int], None] = None
                   ) -> List[List[Dict]]:
    """The 25 CIFAR-10 sub-policies as mmpretrain ``AutoAugment`` policies.

    Pass ``pad_val`` here when handing the result to mmpretrain's
    ``AutoAugment``: mmpretrain 1.2 merges its ``hparams`` into the policies
    it reports but builds the transforms without them. ``CIFAR10AutoAugment``
    applies ``hparams`` properly.

    Example:
        >>> dict(type='mmpretrain.AutoAugment',
        ...      policies=cifar10_policy(pad_val=[125, 123, 114]))
    """
    return [[op_to_transform(*triple, image_size=image_size, pad_val=pad_val)
             for triple in sub] for sub in CIFAR10_POLICY_LEVELS]
