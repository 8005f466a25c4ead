"""ImageNet FLOPs of the derived networks against the published numbers.

The D-DARTS paper (Table 5) profiles its ImageNet networks with ``thop``
(the reference train.py calls ``thop.profile`` on a 224x224 image). thop
counts a convolution's multiply-adds, 2 operations per BatchNorm output and
the classifier's multiply-adds; ReLU, additions and concatenations count 0.
``_thop_count`` below applies those rules with forward hooks, independently of
mmengine's counter (which tools/analysis_tools/get_flops.py uses).

* DO-2-ResNet18 with D-DARTS' /4 stem: thop rules 8,619.4M = paper 8,619M;
  get_flops.py 8,619.5M. DARTS' /8 stem would give ~2.3G.
* DO-2-ResNet50 with the /4 stem: 9,874M by the thop rules, 1.5% below the
  paper's 10,029M (parameters match exactly, 73.23M); the rest is not
  explained by counting conventions, so it is asserted within 2%, which
  still rejects the /8 stem by a factor ~4.
* DARTS_V2, 14 cells, C=48, DARTS' /8 stem: 4.72M parameters as DARTS
  reports (4.7M); 538.2M by get_flops.py and by the thop rules, where DARTS
  prints 574M (its own counter): regression values, asserted as such.
"""
import os.path as osp

import torch
import torch.nn as nn
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config

from mmddarts.models.backbones import DDartsNet

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GENO = osp.join(ROOT, 'configs', 'genotypes')
TRAIN = osp.join(ROOT, 'configs', 'train')


def _thop_count(net, num_classes=1000, size=224):
    """Multiply-adds by thop's rules, from forward hooks on the modules."""
    total = [0]

    def hook(m, inputs, out):
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1]
            total[0] += out.numel() * (m.in_channels // m.groups) * k
        elif isinstance(m, nn.BatchNorm2d):
            total[0] += 2 * out.numel()

    handles = [m.register_forward_hook(hook) for m in net.modules()]
    try:
        with torch.no_grad():
            net.eval()(torch.zeros(1, 3, size, size))
    finally:
        for h in handles:
            h.remove()
    return total[0] + net.out_channels[-1] * num_classes


def _mmengine_flops(model, size=224):
    with torch.no_grad():
        return get_model_complexity_info(
            model.eval(), input_shape=(3, size, size), show_table=False,
            show_arch=False)['flops']


def _config_model(name):
    from mmddarts.analysis.complexity import build_model, count_parameters
    cfg = Config.fromfile(osp.join(TRAIN, name))
    return cfg, build_model(cfg), count_parameters


def test_do2_resnet18_imagenet_flops_match_paper():
    cfg, model, count_parameters = _config_model('do2-resnet18_in1k.py')
    assert cfg.model.backbone.stem == 'ddarts_imagenet'
    assert count_parameters(model) == 53_384_072  # paper: 53.4M
    # get_flops.py's count (classifier included), within 1% of 8,619M.
    flops = _mmengine_flops(model)
    assert abs(flops / 1e6 - 8619) / 8619 < 0.01, flops
    # thop's rules, which the paper used: the same to its last digit.
    assert round(_thop_count(model.backbone) / 1e6) == 8619


def test_do2_resnet18_darts_stem_is_not_the_papers():
    net = DDartsNet(osp.join(GENO, 'do2-resnet18_c100.json'), channels=64,
                    stem='imagenet', aux_index=None)
    assert _thop_count(net) / 1e6 < 0.3 * 8619


def test_do2_resnet50_imagenet_flops_near_paper():
    net = DDartsNet(osp.join(GENO, 'do2-resnet50_c100.json'), channels=64,
                    stem='ddarts_imagenet', aux_index=None)
    params = sum(p.numel() for p in net.parameters()) + \
        net.out_channels[-1] * 1000 + 1000
    assert round(params / 1e6, 2) == 73.23
    thop = _thop_count(net) / 1e6
    mm = (_mmengine_flops(net) + net.out_channels[-1] * 1000) / 1e6
    for flops in (thop, mm):
        assert abs(flops - 10029) / 10029 < 0.02, flops


def test_darts_v2_imagenet_unchanged():
    cfg, model, count_parameters = _config_model('darts-v2_14cells_in1k.py')
    assert cfg.model.backbone.stem == 'imagenet'
    assert count_parameters(model) == 4_718_752  # DARTS: 4.7M
    assert round(_mmengine_flops(model) / 1e6, 1) == 538.2
    assert round(_thop_count(model.backbone) / 1e6, 1) == 538.2


def test_dd4_imagenet_keeps_darts_stem():
    # The paper's DD-4 (617 MFLOPs, 14 cells) fits DARTS' /8 stem (the
    # sparse genotype: ~502M), not the /4 one (~1,981M).
    cfg = Config.fromfile(
        osp.join(TRAIN, 'ddarts-c100-edge-abl_14cells_in1k.py'))
    assert cfg.model.backbone.stem == 'imagenet'
    net = DDartsNet(osp.join(GENO, 'ddarts_c100_sparse_abl.json'),
                    channels=48, num_cells=14, stem='imagenet',
                    aux_index=None)
    slow = DDartsNet(osp.join(GENO, 'ddarts_c100_sparse_abl.json'),
                     channels=48, num_cells=14, stem='ddarts_imagenet',
                     aux_index=None)
    assert abs(_thop_count(net) / 1e6 - 617) < abs(
        _thop_count(slow) / 1e6 - 617)


def test_do2_resnet18_in1k_aux_head_runs_at_224():
    """With the /4 stem the auxiliary head sits after the last reduction
    cell (7x7 at 224), as in the reference; cell 2 would be 14x14."""
    from mmpretrain.structures import DataSample

    from mmddarts.registry import MODELS
    cfg = Config.fromfile(osp.join(TRAIN, 'do2-resnet18_in1k.py'))
    cfg.model.backbone.channels = 4
    model = MODELS.build(cfg.model).train()
    x = torch.randn(2, 3, 224, 224)
    feats, aux = model.backbone(x, with_aux_output=True)
    assert aux.shape[-2:] == (7, 7) and feats[-1].shape[-2:] == (7, 7)
    samples = [DataSample().set_gt_label(i) for i in (1, 2)]
    losses = model.loss(x, samples)
    assert {'loss', 'aux_loss'} <= set(losses)
    assert all(torch.isfinite(v).all() for v in losses.values())
