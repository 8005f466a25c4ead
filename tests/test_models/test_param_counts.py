"""Parameter counts of derived networks against published numbers.

Counted like DARTS' ``utils.count_parameters_in_MB`` and the D-DARTS tables:
backbone + linear classifier, without the auxiliary head.

Established matches (exact integers are regression values; the published
numbers they reproduce are in the comments):

* DARTS_V2, C=36, 20 cells, CIFAR-10: 3,349,342 = DARTS' train.py log
  "param size = 3.349342MB" (which also excludes the auxiliary head).
* DO-2-ResNet18 (C=64, 4 cells, CIFAR-100) 51.52M, DO-1-ResNet18 (CIFAR-10)
  36.32M, DO-2-ResNet50 70.44M (paper Table 3/4); on ImageNet (D-DARTS'
  ImageNet stem, 1000 classes) DO-2-ResNet18 53.4M and DO-2-ResNet50 73.23M
  (Table 5). DARTS' /8 ImageNet stem has the same parameters (it differs in
  one stride) but not the paper's FLOPs: those are checked in
  test_imagenet_flops.py (DO-2-ResNet18 8,619M).
* The ResNet50 genotypes say ``concat=range(4, 8)`` (legacy): only the
  "nodes with ops" rule (all 6 nodes) reproduces 70.44M / 73.23M; the legacy
  concat gives 69.83M. So the reference concatenated every fed node.
* D-DARTS 8-cell, C=36: DD-2 (c10 edge) 3.28M ~ 3.3M and DD-4 (c100 edge,
  ablation loss) 3.93M ~ 3.9M with reductions (2, 5); the files' own
  reductions (2, 6) would give 2.52M / 2.96M.

Mismatches (not asserted, documented):

* DO-1-ResNet50: 71,237,450 -> 71.24M, the paper prints 71.23M (0.0075M
  off: within the 0.01M tolerance, asserted as such).
* DD-1 (c10 sparse) 1.60M and DD-5 (c100 sparse) 1.76M vs 1.7M printed;
  14-cell DD-3 5.29M vs 6.55M and DD-4 6.33M vs 7.6M: the reference's
  Algorithm 1 differs from the paper's (it has a precedence slip), so its
  14-cell networks are other networks.
* DO-1/DO-2-Xception: 112.9M / 120.2M vs "61" printed for both.
"""
import pytest
import torch.nn as nn

from mmddarts.models.backbones import DDartsNet


def count(net, num_classes):
    # backbone + GAP + Linear(C_last, num_classes)
    linear = net.out_channels[-1] * num_classes + num_classes
    return sum(p.numel() for p in net.parameters()) + linear


def build(name, channels, **kwargs):
    return DDartsNet(f'configs/genotypes/{name}.json', channels=channels,
                     **kwargs)


def test_darts_v2_matches_darts_log_exactly():
    net = build('darts-v2', 36, num_cells=20)
    assert count(net, 10) == 3_349_342


def test_darts_v2_imagenet_matches_darts_paper():
    """DARTS (Liu et al., 2019), Table 2: DARTS_V2 on ImageNet (14 cells,
    C=48, mobile setting) has 4.7M parameters."""
    net = build('darts-v2', 48, num_cells=14, stem='imagenet')
    assert round(count(net, 1000) / 1e6, 1) == 4.7


@pytest.mark.parametrize('name,classes,stem,published,exact', [
    ('do2-resnet18_c100', 100, 'cifar', 51.52, 51_521_828),
    ('do1-resnet18_c10', 10, 'cifar', 36.32, 36_318_538),
    ('do2-resnet50_c100', 100, 'cifar', 70.44, 70_443_556),
    ('do1-resnet50_c10', 10, 'cifar', 71.23, 71_237_450),
    ('do2-resnet18_c100', 1000, 'ddarts_imagenet', 53.4, 53_384_072),
    ('do2-resnet50_c100', 1000, 'ddarts_imagenet', 73.23, 73_227_400),
    ('do2-resnet18_c100', 1000, 'imagenet', 53.4, 53_384_072),
])
def test_dartopti_models_match_paper(name, classes, stem, published, exact):
    net = build(name, 64, stem=stem)
    n = count(net, classes)
    # Published numbers are rounded to their last digit (0.01M or 0.1M).
    digits = len(str(published).split('.')[1])
    assert abs(n / 1e6 - published) <= 10**-digits
    assert n == exact  # regression value


def test_resnet50_needs_nodes_with_ops_concat():
    legacy = build('do2-resnet50_c100', 64, concat_rule='legacy')
    assert legacy.genotype.meta['legacy_concat'] == [4, 5, 6, 7]
    assert round(count(legacy, 100) / 1e6, 2) == 69.83  # not 70.44


@pytest.mark.parametrize('name,classes,published', [
    ('ddarts_c10_edge', 10, 3.3),
    ('ddarts_c100_edge_abl', 100, 3.9),
])
def test_ddarts_8_cell_models(name, classes, published):
    assert round(count(build(name, 36), classes) / 1e6, 1) == published


def test_aux_head_params_are_darts_formula():
    """DARTS' AuxiliaryHeadCIFAR: 1x1 conv C->128, BN, 2x2 conv 128->768,
    BN, Linear(768, classes)."""
    from mmddarts.models.heads import AuxiliaryHeadCIFAR
    head = AuxiliaryHeadCIFAR(num_classes=10, in_channels=576)
    expected = 576 * 128 + 2 * 128 + 128 * 768 * 4 + 2 * 768 + 768 * 10 + 10
    assert sum(p.numel() for p in head.parameters()) == expected
    assert not any(isinstance(m, nn.Linear) and m.in_features != 768
                   for m in head.modules())
