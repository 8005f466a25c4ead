"""mmpretrain's ``CustomDataset`` (your own images) with its input checked.

Layouts (mmpretrain's): a folder per class (``DATA_ROOT/<class>/*.png``,
classes in sorted folder-name order), or an annotation file of
``relative/path.jpg <label>`` lines. mmpretrain only warns about an empty
class folder (the class then silently has no images) and reads images when
they are first loaded, so a broken file stops a search mid-epoch. Here every
problem is found when the dataset is built, with the path in the message:

- an empty class folder;
- fewer than two classes (nothing to classify), or another number of
  classes than the model's (``num_classes``);
- an image that cannot be decoded (``check_images``);
- images of different sizes where the pipeline needs one size
  (``same_size``: e.g. a pipeline without ``Resize``).
"""
import os
import os.path as osp
from typing import Optional

from mmpretrain.datasets import CustomDataset

from mmddarts.registry import DATASETS


def image_size_of(path):
    """(width, height) of the image file ``path`` after decoding it fully;
    raises ``ValueError`` naming ``path`` when it cannot be decoded."""
    from PIL import Image
    try:
        with Image.open(path) as img:
            img.load()  # decode the pixels: truncated files fail here
            return img.size
    except Exception as err:  # PIL raises several types
        raise ValueError(f'{path}: unreadable image ({type(err).__name__}: '
                         f'{err})') from err


@DATASETS.register_module()
class ImageFolderDataset(CustomDataset):
    """``CustomDataset`` that checks its input (module docstring).

    Args:
        num_classes (int, optional): the number of classes the model
            predicts; another number of classes found is an error.
        check_images (bool): decode every image once when the dataset is
            built. Defaults to True.
        same_size (bool): every image must have the size of the first one.
            Defaults to False.
        **kwargs: ``CustomDataset``'s (``data_root``, ``data_prefix``,
            ``ann_file``, ``extensions``, ``pipeline``...).
    """

    def __init__(self,
                 *args,
                 num_classes: Optional[int] = None,
                 check_images: bool = True,
                 same_size: bool = False,
                 **kwargs):
        self.num_classes = num_classes
        self.check_images = check_images
        self.same_size = same_size
        super().__init__(*args, **kwargs)

    def _where(self):
        return self.ann_file or self.img_prefix.rstrip('/')

    def _check_class_folders(self):
        root = self.img_prefix
        if not osp.isdir(root):
            raise FileNotFoundError(f'{root}: no such image folder')
        for name in sorted(os.listdir(root)):
            folder = osp.join(root, name)
            if not osp.isdir(folder):
                continue
            found = any(self.is_valid_file(f)
                        for _, _, files in os.walk(folder) for f in files)
            if not found:
                raise ValueError(
                    f'{folder}: empty class folder (no file ending in '
                    f'{", ".join(sorted(self.extensions))}); remove it or '
                    'add its images')

    def load_data_list(self):
        if not self.ann_file:
            self._check_class_folders()
        data_list = super().load_data_list()
        labels = sorted({int(d['gt_label']) for d in data_list
                         if 'gt_label' in d})
        classes = self._metainfo.get('classes')
        n = len(classes) if classes else len(labels)
        if self.with_label and n < 2:
            raise ValueError(
                f'{self._where()}: {n} class(es) found ({classes or labels});'
                ' a classification search needs at least 2')
        if self.num_classes is not None and n != self.num_classes:
            raise ValueError(
                f'{self._where()}: {n} classes found ({classes or labels}) '
                f'but the model has num_classes={self.num_classes}; set '
                f'NUM_CLASSES={n} (configs/*/ddarts_custom.py) or the '
                "model's num_classes")
        if self.check_images or self.same_size:
            first = None
            for info in data_list:
                path = info['img_path']
                size = image_size_of(path)
                if first is None:
                    first = (path, size)
                elif self.same_size and size != first[1]:
                    raise ValueError(
                        f'{path}: {size[0]}x{size[1]} image, but '
                        f'{first[0]} is {first[1][0]}x{first[1][1]}; this '
                        'dataset needs images of one size (same_size=True):'
                        ' resize them, or resize in the pipeline and set '
                        'same_size=False')
        return data_list
