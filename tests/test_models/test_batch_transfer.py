"""Search batches: stacked on the host, pinned and copied without blocking
on CUDA, loaders pinned only when CUDA is available (issue 9). The pinned
branch needs CUDA; on CPU the decisions and the values are checked."""
import pytest
import torch

pytest.importorskip('mmpretrain')

from mmpretrain.models import ClsDataPreprocessor  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

from mmddarts.models.algorithms.batch_transfer import (  # noqa: E402
    loader_pin_memory, stage_batch)
from mmddarts.profiling.op_counter import OpCounter  # noqa: E402


def batch(shapes=((3, 8, 8), ) * 3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[torch.randint(0, 256, s, generator=g, dtype=torch.uint8)
                for s in shapes],
        data_samples=[DataSample().set_gt_label(i % 2)
                      for i in range(len(shapes))])


def test_loader_pin_memory_only_with_cuda():
    cfg = dict(batch_size=4)
    assert loader_pin_memory(cfg, cuda_available=True) == dict(
        batch_size=4, pin_memory=True)
    assert loader_pin_memory(cfg, cuda_available=False) == cfg
    assert 'pin_memory' not in cfg  # not modified in place
    given = dict(batch_size=4, pin_memory=False)
    assert loader_pin_memory(given, cuda_available=True) == given
    assert loader_pin_memory('not a dict', cuda_available=True) == \
        'not a dict'


@pytest.mark.parametrize('to_rgb', [True, False])
def test_stacked_batch_preprocesses_to_the_same_values(to_rgb):
    pre = ClsDataPreprocessor(mean=[125.3, 123.0, 113.9],
                              std=[63.0, 62.1, 66.7], to_rgb=to_rgb)
    ref = pre(batch(), True)
    staged = stage_batch(batch(), 'cpu')
    assert isinstance(staged['inputs'], torch.Tensor)
    with OpCounter() as c:
        out = pre(staged, True)
    assert c.syncs == 0  # the list path reads a host value in stack_batch
    assert torch.equal(out['inputs'], ref['inputs'])
    assert [int(s.gt_label) for s in out['data_samples']] == [0, 1, 0]


def test_unequal_images_are_left_to_the_preprocessor():
    data = batch(((3, 8, 8), (3, 6, 8)))
    staged = stage_batch(data, 'cpu')
    assert isinstance(staged['inputs'], list)
    assert stage_batch('x', 'cpu') == 'x'
