"""``mmddarts.CIFAR10AutoAugment``: mmpretrain's AutoAugment with the CIFAR-10
policy of Cubuk et al. (see ``auto_augment_policies``)."""
from mmpretrain.datasets.transforms import AutoAugment
from mmpretrain.datasets.transforms.auto_augment import merge_hparams

from mmddarts.registry import TRANSFORMS
from .auto_augment_policies import cifar10_policy

# RGB mean of the CIFAR-10 training images (0..255) rounded to whole numbers:
# the colour Rotate/Shear/Translate fill uncovered areas with.
CIFAR10_MEAN_RGB = (125, 123, 114)


@TRANSFORMS.register_module()
class CIFAR10AutoAugment(AutoAugment):
    """AutoAugment with the 25 CIFAR-10 sub-policies.

    Each call picks one sub-policy uniformly and runs its two ops, each with
    its own probability (as mmpretrain's ``AutoAugment`` does). Place it
    after crop + flip and before Cutout, as the DARTS family does.

    Args:
        image_size (int): Size the Translate pixel shifts are computed for
            (torchvision: ``int(150 / 331 * size * level / 9)`` pixels).
            Defaults to 32 (CIFAR).
        hparams (dict): Arguments given to every op that takes them and does
            not set them, e.g. ``pad_val`` for Rotate/Shear/Translate.
            Defaults to ``dict(pad_val=CIFAR10_MEAN_RGB)``.
    """

    def __init__(self,
                 image_size: int = 32,
                 hparams: dict = dict(pad_val=CIFAR10_MEAN_RGB)):
        if not isinstance(image_size, int) or image_size <= 0:
            raise ValueError('CIFAR10AutoAugment: image_size must be a '
                             f'positive int, got {image_size!r}')
        # mmpretrain 1.2's AutoAugment builds its transforms from the policies
        # *before* merging hparams (so pad_val is silently 128); merge first.
        policies = [[merge_hparams(t, hparams) for t in sub]
                    for sub in cifar10_policy(image_size)]
        super().__init__(policies=policies, hparams=hparams)
        self.image_size = image_size
