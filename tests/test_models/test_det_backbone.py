"""DDartsDetBackbone: stages, strides, channels, freezing, checkpoints."""
import math
import os.path as osp

import pytest
import torch
from mmengine.logging import HistoryBuffer
from torch.nn.modules.batchnorm import _BatchNorm

from mmddarts.models.backbones import DDartsDetBackbone
from mmddarts.models.backbones.net_arch import ArchitectureMismatchError
from mmddarts.models.backbones.ddarts_det_backbone import (det_out_channels,
                                                           det_out_strides,
                                                           det_stages)
from mmddarts.registry import MODELS
from mmddarts.structures.loading import load_genotype

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GENO = osp.join(ROOT, 'configs', 'genotypes')
DO2 = osp.join(GENO, 'do2-resnet18_c100.json')
DARTS_V2 = osp.join(GENO, 'darts-v2.json')
DD_SPARSE = osp.join(GENO, 'ddarts_c100_sparse_abl.json')
H, W = 64, 96


def _num_fed(gene):
    # Intermediate nodes with an input, counted independently of the code.
    return len({to for _, to, _ in gene})


def _expected_widths(genotype, C):
    widths = []
    for i in range(genotype.num_cells):
        if i in genotype.reductions:
            C *= 2
        widths.append(_num_fed(genotype.gene(i)) * C)
    return widths


# Stage strides, hand computed: the stem's stride (D-DARTS' ImageNet stem /4,
# the default; DARTS' /8) times 2 per reduction cell up to the stage's end.
@pytest.mark.parametrize('path,num_cells,stem,stages,strides', [
    # DO-2-ResNet18: reductions 1, 2, 3 -> one cell per stage: ResNet's
    # strides 4..32 with the D-DARTS stem, 8..64 with DARTS'.
    (DO2, None, None, [[0], [1], [2], [3]], [4, 8, 16, 32]),
    (DO2, None, 'ddarts_imagenet', [[0], [1], [2], [3]], [4, 8, 16, 32]),
    (DO2, None, 'imagenet', [[0], [1], [2], [3]], [8, 16, 32, 64]),
    # 8 cells, reductions 2, 5.
    (DARTS_V2, None, None, [[0, 1], [2, 3, 4], [5, 6, 7]], [4, 8, 16]),
    (DARTS_V2, None, 'imagenet', [[0, 1], [2, 3, 4], [5, 6, 7]],
     [8, 16, 32]),
    # Algorithm 1 to 14 cells: reductions 4, 9.
    (DARTS_V2, 14, 'imagenet',
     [[0, 1, 2, 3], [4, 5, 6, 7, 8], [9, 10, 11, 12, 13]], [8, 16, 32]),
    (DARTS_V2, 14, 'ddarts_imagenet',
     [[0, 1, 2, 3], [4, 5, 6, 7, 8], [9, 10, 11, 12, 13]], [4, 8, 16]),
    (DD_SPARSE, None, 'imagenet', [[0, 1], [2, 3, 4], [5, 6, 7]],
     [8, 16, 32]),
])
def test_default_outputs(path, num_cells, stem, stages, strides):
    C = 4
    kwargs = {} if stem is None else dict(stem=stem)
    model = DDartsDetBackbone(path, channels=C, num_cells=num_cells, **kwargs)
    assert model.stages == stages == det_stages(path, num_cells)
    outs = model(torch.randn(2, 3, H, W))
    assert isinstance(outs, tuple) and len(outs) == len(stages)
    geno = model.genotype
    widths = _expected_widths(geno, C)
    for out, cells, stride in zip(outs, stages, strides):
        assert out.shape == (2, widths[cells[-1]], math.ceil(H / stride),
                             math.ceil(W / stride))
    assert model.out_strides == strides
    assert model.out_stage_channels == [widths[c[-1]] for c in stages]
    assert det_out_channels(path, C, num_cells=num_cells) == \
        model.out_stage_channels
    assert det_out_strides(path, num_cells=num_cells, **kwargs) == strides


def test_ddarts_stem_is_the_reference_layout():
    """D-DARTS' NetworkImageNet (aheuillet/D-DARTS model.py): stem0 = conv3x3
    s2 (3->C/2), BN, ReLU, conv3x3 s1 (C/2->C), BN; stem1 = ReLU, conv3x3 s2,
    BN; cell 0 FactorizedReduces s0. DARTS' stem differs only in the stride
    of stem0's second conv, so both load the same weights."""
    a = DDartsDetBackbone(DO2, channels=8, stem='ddarts_imagenet')
    b = DDartsDetBackbone(DO2, channels=8, stem='imagenet')
    convs = [m for m in a.stem0 if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.stride) for c in convs] == [
        (3, 4, (2, 2)), (4, 8, (1, 1))]
    assert a.stem1[1].stride == (2, 2)
    assert type(a.cells[0].preprocess0).__name__ == 'FactorizedReduce'
    assert b.stem0[3].stride == (2, 2)
    # same weights; the architecture records differ (stem name)
    assert [(k, v.shape) for k, v in a.state_dict().items()
            if k != '_extra_state'] == [
        (k, v.shape) for k, v in b.state_dict().items()
        if k != '_extra_state']
    x = torch.randn(1, 3, 32, 32)
    assert a.stem0(x).shape[-1] == 16 and a.stem1(a.stem0(x)).shape[-1] == 8
    assert b.stem0(x).shape[-1] == 8 and b.stem1(b.stem0(x)).shape[-1] == 4
    with pytest.raises(ValueError, match='unknown stem'):
        det_out_strides(DO2, stem='resnet')


def test_do2_resnet18_channels_at_c64():
    # 4 nodes per cell, C doubled by each of the 3 reductions: ResNet-50's
    # widths 256/512/1024/2048 (hand computed).
    assert det_out_channels(DO2, 64) == [256, 512, 1024, 2048]
    assert det_out_channels(DO2, 64, out_indices=(1, 2, 3)) == [
        512, 1024, 2048]


@pytest.mark.parametrize('out_indices,stages', [((1, 3), (1, 3)),
                                                ((-1, ), (3, )),
                                                ((0, ), (0, ))])
def test_out_indices_subsets(out_indices, stages):
    model = DDartsDetBackbone(DO2, channels=4, out_indices=out_indices)
    outs = model(torch.randn(1, 3, H, W))
    all_strides = [4, 8, 16, 32]
    widths = [16, 32, 64, 128]
    assert [o.shape[1] for o in outs] == [widths[s] for s in stages]
    assert [o.shape[2] for o in outs] == [
        math.ceil(H / all_strides[s]) for s in stages]
    assert model.out_strides == [all_strides[s] for s in stages]


def test_cifar_stem_strides():
    model = DDartsDetBackbone(DARTS_V2, channels=4, stem='cifar')
    outs = model(torch.randn(1, 3, 16, 16))
    assert [o.shape[-1] for o in outs] == [16, 8, 4]
    assert model.out_strides == [1, 2, 4]


@pytest.mark.parametrize('kwargs,err,match', [
    (dict(out_indices=(4, )), ValueError, 'out_indices 4 out of range'),
    (dict(out_indices=(2, 1)), ValueError, 'increasing'),
    (dict(frozen_stages=5), ValueError, 'frozen_stages'),
])
def test_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        DDartsDetBackbone(DO2, channels=4, **kwargs)


def test_frozen_stages_get_no_gradient():
    model = DDartsDetBackbone(DARTS_V2, channels=4, frozen_stages=1)
    model.train()
    frozen = [model.stem0, model.stem1, model.cells[0], model.cells[1]]
    trained = list(model.cells[2:])
    for m in frozen:
        assert not m.training
        assert all(not p.requires_grad for p in m.parameters())
    for m in trained:
        assert m.training
    bn = model.cells[1].preprocess1[2]
    mean_before = bn.running_mean.clone()
    outs = model(torch.randn(2, 3, 32, 32))
    sum(o.square().mean() for o in outs).backward()
    # A frozen BN keeps its statistics; frozen params get no gradient.
    torch.testing.assert_close(bn.running_mean, mean_before)
    for m in frozen:
        assert all(p.grad is None for p in m.parameters())
    grads = [p.grad for m in trained for p in m.parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    # Stays frozen after switching modes back and forth.
    model.eval()
    model.train()
    assert not model.cells[1].training and model.cells[2].training


def test_frozen_stem_only_and_none():
    model = DDartsDetBackbone(DO2, channels=4, frozen_stages=0)
    model.train()
    assert not model.stem0.training and model.cells[0].training
    assert not any(p.requires_grad for p in model.stem1.parameters())
    assert all(p.requires_grad for p in model.cells[0].parameters())
    model = DDartsDetBackbone(DO2, channels=4, frozen_stages=-1)
    assert all(p.requires_grad for p in model.parameters())


def test_norm_eval_keeps_bn_in_eval_mode():
    model = DDartsDetBackbone(DO2, channels=4, norm_eval=True)
    model.train()
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert bns and all(not m.training for m in bns)
    assert model.cells[0].training  # the rest trains
    before = [m.running_mean.clone() for m in bns]
    model(torch.randn(2, 3, 32, 32))
    for m, b in zip(bns, before):
        torch.testing.assert_close(m.running_mean, b)
    model = DDartsDetBackbone(DO2, channels=4, norm_eval=False).train()
    assert all(m.training for m in model.modules()
               if isinstance(m, _BatchNorm))


def _classifier(genotype, C, stem='ddarts_imagenet'):
    return MODELS.build(dict(
        type='mmddarts.DDartsImageClassifier',
        backbone=dict(type='mmddarts.DDartsNet', genotype=genotype,
                      channels=C, stem=stem, aux_index=-1),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=5),
        aux_head=dict(type='mmddarts.AuxiliaryHeadImageNet', num_classes=5)))


def _randomise(module, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for t in list(module.parameters()) + [
                b for b in module.buffers() if b.is_floating_point()]:
            t.copy_(torch.rand(t.shape, generator=gen))


def _save_mmengine_style(state_dict, path):
    # What mmengine's CheckpointHook writes: the message hub holds
    # HistoryBuffer objects (filled by training) that torch >= 2.6 refuses
    # with plain weights_only; mmddarts' allowlist admits them.
    torch.save({'meta': {'epoch': 1}, 'state_dict': state_dict,
                'message_hub': {'log_scalars': {
                    'loss': HistoryBuffer([2.3, 1.7], [1, 1])}}},
               path)


def test_load_classification_checkpoint(tmp_path):
    clf = _classifier(DO2, 4)
    _randomise(clf, 0)
    path = str(tmp_path / 'epoch_1.pth')
    _save_mmengine_style(clf.state_dict(), path)
    det = DDartsDetBackbone(
        DO2, channels=4, frozen_stages=1, norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint=path))
    det.init_weights()
    src = clf.backbone.state_dict()
    dst = det.state_dict()
    assert set(dst) == set(src)
    for k in src:
        torch.testing.assert_close(dst[k], src[k], rtol=0, atol=0)
    # The heads' weights went nowhere.
    assert any(k.startswith('aux_head.') for k in clf.state_dict())
    # Same features as the classifier's backbone (BN in eval mode both).
    clf.eval()
    det.eval()
    x = torch.randn(1, 3, 32, 32)
    torch.testing.assert_close(det(x)[-1], clf.backbone(x)[-1])


def test_load_bare_ddartsnet_state_dict(tmp_path):
    net = MODELS.build(dict(type='mmddarts.DDartsNet', genotype=DARTS_V2,
                            channels=4, stem='imagenet'))
    _randomise(net, 1)
    path = str(tmp_path / 'net.pth')
    torch.save(net.state_dict(), path)
    det = DDartsDetBackbone(DARTS_V2, channels=4, stem='imagenet')
    det.load_classification_checkpoint(path)
    for k, v in net.state_dict().items():
        torch.testing.assert_close(det.state_dict()[k], v, rtol=0, atol=0)


def test_checkpoint_mismatch_errors(tmp_path):
    clf = _classifier(DO2, 4)
    path = str(tmp_path / 'c4.pth')
    torch.save({'state_dict': clf.state_dict()}, path)
    # the checkpoint records its network: the error names the difference
    wide = DDartsDetBackbone(DO2, channels=8)
    with pytest.raises(ArchitectureMismatchError,
                       match='channels: checkpoint has 4, the network has 8'):
        wide.load_classification_checkpoint(path)
    other = DDartsDetBackbone(DARTS_V2, channels=4)
    with pytest.raises(ArchitectureMismatchError,
                       match='num_cells: checkpoint has 4, the network has 8'):
        other.load_classification_checkpoint(path)
    # without the record (older checkpoints): shapes and keys are checked
    state = {k: v for k, v in clf.state_dict().items()
             if not k.endswith('_extra_state')}
    torch.save({'state_dict': state}, path)
    with pytest.raises(ValueError, match='shape mismatch'):
        wide.load_classification_checkpoint(path)
    with pytest.raises(KeyError, match='lacks'):
        other.load_classification_checkpoint(path)
    none_ckpt = DDartsDetBackbone(
        DO2, channels=4, init_cfg=dict(type='Pretrained', checkpoint=None))
    with pytest.raises(ValueError, match='checkpoint=None'):
        none_ckpt.init_weights()


def test_genotype_forms_agree():
    g = load_genotype(DO2)
    a = DDartsDetBackbone(g, channels=4)
    b = DDartsDetBackbone(g.to_dict(), channels=4)
    assert a.out_stage_channels == b.out_stage_channels
    assert [tuple(v.shape) for v in a.state_dict().values()] == [
        tuple(v.shape) for v in b.state_dict().values()]


def test_concat_rules_of_resnet50_genotype():
    # DO-2-ResNet50: 6 fed nodes per cell, legacy concat of 4 nodes (4..7).
    path = osp.join(GENO, 'do2-resnet50_c100.json')
    for rule, nodes in (('fed', 6), ('legacy', 4)):
        model = DDartsDetBackbone(path, channels=4, concat_rule=rule)
        expected = [nodes * 4 * 2**s for s in range(4)]
        assert model.out_stage_channels == expected
        assert det_out_channels(path, 4, concat_rule=rule) == expected
        outs = model(torch.randn(2, 3, 32, 32))
        assert [o.shape[1] for o in outs] == expected
