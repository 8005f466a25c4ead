"""``randomness.deterministic=True`` on CUDA: no op of the supernet, the
derived networks and their heads may lack a deterministic CUDA kernel.

torch raises at run time, on CUDA only, for the aten ops below
(``torch.use_deterministic_algorithms`` docs, torch 2.14). The ops a model
runs do not depend on the device (composite ops decompose the same way), so
recording them on CPU with a dispatch mode over a whole training step shows
what would run on CUDA. Notably ``AdaptiveAvgPool2d(1)`` (mmpretrain's
``GlobalAveragePooling``, our supernet's pool) is computed as a ``mean`` by
aten, whose backward is deterministic: it never reaches the refused
``_adaptive_avg_pool2d_backward``.
"""
import os.path as osp

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from mmddarts.models.algorithms import DDartsSearch
from mmddarts.models.backbones import DDartsDetBackbone
from mmddarts.registry import MODELS
from mmddarts.testing.search_batch import make_batch as _batch  # noqa: E402

GENO = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'genotypes')

# aten ops that raise under torch.use_deterministic_algorithms(True) on CUDA
NONDETERMINISTIC_ON_CUDA = {
    '_adaptive_avg_pool2d_backward', 'adaptive_avg_pool3d_backward',
    'adaptive_max_pool2d_backward', 'avg_pool3d_backward',
    'max_pool3d_with_indices_backward', 'fractional_max_pool2d_backward',
    'fractional_max_pool3d_backward', 'upsample_linear1d_backward',
    'upsample_bilinear2d_backward', 'upsample_bicubic2d_backward',
    'upsample_trilinear3d_backward', 'reflection_pad1d_backward',
    'reflection_pad2d_backward', 'reflection_pad3d_backward',
    'replication_pad1d_backward', 'replication_pad2d_backward',
    'replication_pad3d_backward', 'nll_loss2d_forward', 'ctc_loss',
    'embedding_dense_backward', '_embedding_bag', 'put_', 'histc',
    'bincount', 'grid_sampler_2d_backward', 'grid_sampler_3d_backward',
    'max_unpool2d', 'max_unpool3d', 'kthvalue', 'median',
    'scatter_add', 'scatter_add_', 'index_add', 'index_add_',
    'scatter_reduce', 'scatter_reduce_', 'index_copy', 'index_copy_',
    '_index_put_impl_',
}


class OpRecorder(TorchDispatchMode):

    def __init__(self):
        super().__init__()
        self.ops = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.add(func.overloadpacket.__name__)
        return func(*args, **(kwargs or {}))


def refused(fn):
    with OpRecorder() as rec:
        fn()
    assert rec.ops, 'nothing recorded'
    return sorted(rec.ops & NONDETERMINISTIC_ON_CUDA), rec.ops


def test_recorder_catches_a_refused_op():
    """The check can fail: a real adaptive pool to 2x2 is caught."""
    x = torch.randn(1, 2, 5, 5, requires_grad=True)
    bad, _ = refused(lambda: torch.nn.AdaptiveAvgPool2d(2)(x).sum()
                     .backward())
    assert bad == ['_adaptive_avg_pool2d_backward']
    ok, ops = refused(lambda: torch.nn.AdaptiveAvgPool2d(1)(x).sum()
                      .backward())
    assert ok == [] and 'mean' in ops


@pytest.mark.parametrize('ablation', ['exact', 'reference', 'none'])
def test_search_step_is_deterministic_capable(ablation):
    from mmddarts.engine.optimizers import SearchOptimWrapperConstructor
    torch.manual_seed(0)
    model = DDartsSearch(
        architecture=dict(type='mmddarts.DDartsSupernet', num_classes=3,
                          channels=4, num_cells=3, steps=2),
        arch_strategy=dict(type='mmddarts.LeaveOneOutArchStep', w01=7.0,
                           w_abl=0.5, ablation=ablation))
    optim = SearchOptimWrapperConstructor(dict(
        architecture=dict(optimizer=dict(type='Adam', lr=3e-3)),
        weights=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9),
                     clip_grad=dict(max_norm=5))))(model)
    bad, ops = refused(lambda: model.train_step(
        dict(weights=_batch(0), arch=_batch(1)), optim))
    assert bad == []
    assert 'convolution_backward' in ops  # both steps really ran


def _classifier(genotype, stem, aux):
    return MODELS.build(dict(
        type='mmddarts.DDartsImageClassifier',
        backbone=dict(type='mmddarts.DDartsNet', genotype=genotype,
                      channels=4, stem=stem),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=3,
                  loss=dict(type='mmpretrain.LabelSmoothLoss',
                            label_smooth_val=0.1)),
        aux_head=dict(type=aux, num_classes=3,
                      loss=dict(type='mmpretrain.CrossEntropyLoss',
                                loss_weight=0.4)),
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor')))


@pytest.mark.parametrize('name,stem,aux,size', [
    ('darts-v2.json', 'cifar', 'mmddarts.AuxiliaryHeadCIFAR', 32),
    ('do2-resnet18_c100.json', 'ddarts_imagenet',
     'mmddarts.AuxiliaryHeadImageNet', 112),
])
def test_derived_train_step_is_deterministic_capable(name, stem, aux, size):
    from mmpretrain.structures import DataSample
    torch.manual_seed(0)
    model = _classifier(osp.join(GENO, name), stem, aux)
    model.train()
    samples = [DataSample().set_gt_label(i % 3) for i in range(2)]
    x = torch.randn(2, 3, size, size)

    def step():
        losses = model.loss(x, samples)
        sum(losses.values()).backward()
    bad, ops = refused(step)
    assert bad == []
    assert 'avg_pool2d_backward' in ops  # the aux head ran


def test_det_backbone_is_deterministic_capable():
    torch.manual_seed(0)
    model = DDartsDetBackbone(osp.join(GENO, 'do2-resnet18_c100.json'),
                              channels=4)
    x = torch.randn(1, 3, 64, 64)
    bad, _ = refused(lambda: sum(o.sum() for o in model(x)).backward())
    assert bad == []
