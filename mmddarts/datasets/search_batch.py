"""A search data batch of random uint8 images with labels, as a data loader
hands it to ``DDartsSearch`` (mmpretrain ``DataSample``s).

The one maker of synthetic search batches: the memory estimate, the step
benchmarks and the tests all feed the search step with it.
"""
import torch
from mmpretrain.structures import DataSample


def random_search_batch(n, shape=(3, 8, 8), num_classes=3, generator=None):
    """``dict(inputs=[n uint8 CHW images], data_samples=[...])``: pixels and
    labels drawn from ``generator`` (torch's global one when None)."""
    imgs = torch.randint(0, 256, (n, *shape), generator=generator,
                         dtype=torch.uint8)
    labels = torch.randint(0, num_classes, (n, ), generator=generator)
    return dict(inputs=list(imgs),
                data_samples=[DataSample().set_gt_label(int(y))
                              for y in labels])
