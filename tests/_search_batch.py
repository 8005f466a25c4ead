"""A search data batch of random uint8 images with labels (mmpretrain
``DataSample``), as a data loader hands it to ``DDartsSearch``: shared by
the search-step tests (not a test module; ``tests/`` is on ``sys.path``
under pytest because of ``tests/conftest.py``)."""
import torch
from mmpretrain.structures import DataSample


def make_batch(seed, n=4, size=8, classes=3):
    """``dict(inputs=[n uint8 CHW images], data_samples=[...])``, drawn
    from a generator seeded with ``seed``."""
    g = torch.Generator().manual_seed(seed)
    imgs = torch.randint(0, 256, (n, 3, size, size), generator=g,
                         dtype=torch.uint8)
    labels = torch.randint(0, classes, (n, ), generator=g)
    return dict(inputs=list(imgs),
                data_samples=[DataSample().set_gt_label(int(y))
                              for y in labels])
