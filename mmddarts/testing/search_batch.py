"""A reproducible search batch for the search-step tests."""
import torch

from mmddarts.datasets.search_batch import random_search_batch


def make_batch(seed, n=4, size=8, classes=3):
    """``dict(inputs=[n uint8 CHW images], data_samples=[...])``, drawn
    from a generator seeded with ``seed``."""
    g = torch.Generator().manual_seed(seed)
    return random_search_batch(n, (3, size, size), classes, generator=g)
