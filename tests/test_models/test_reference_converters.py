"""Reference (DARTS / D-DARTS) checkpoints -> our classifier and detector.

The reference networks are the independent stand-ins of _reference_nets.py
(the reference's parameter names, their own forward). A converted checkpoint
must load strictly and give the same logits / features as the reference.
"""
import os.path as osp
import runpy
import sys

import pytest
import torch

from mmddarts.models.converters import (ConversionError,
                                        convert_reference_state_dict,
                                        save_converted_checkpoint)
from mmddarts.structures.genotype import Genotype
from mmddarts.structures.loading import load_genotype

from _reference_nets import RefNetwork, darts_pairs, randomize  # noqa: E402

from mmddarts.testing.tolerance import (assert_rel_close,  # noqa: E402
                                        rel_error)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DARTS_V2 = osp.join(ROOT, 'configs/genotypes/darts-v2.json')
DO2_R18 = osp.join(ROOT, 'configs/genotypes/do2-resnet18_c100.json')

# A DCO gene whose nodes appear out of order (3 before 2: the reference
# concatenates [3, 2, 4]) with two ops on edge 0->3 and one on 1->2.
PERMUTED = [['sep_conv_3x3', 3, 0], ['dil_conv_3x3', 3, 0],
            ['max_pool_3x3', 3, 1], ['simple_conv_3x3', 2, 1],
            ['skip_connect', 2, 0], ['conv_3x1_1x3', 4, 2],
            ['bottleneck_1x3x1', 4, 3]]
# The reduction gene too ([3, 2, 4]; it feeds the auxiliary head).
REDUCE = [['avg_pool_3x3', 3, 0], ['dil_conv_5x5', 3, 1],
          ['conv_7x1_1x7', 2, 0], ['skip_connect', 2, 1],
          ['sep_conv_5x5', 4, 2]]


def _permuted_genotype():
    return Genotype(genes=[PERMUTED, REDUCE], seq=[0, 1, 0],
                    reductions=[1], op_set='extended')


def _ref_from_genotype(genotype, layout, C, num_classes, stem, aux=False,
                       aux_bn=True):
    cells = []
    for k in range(genotype.num_cells):
        gene = [list(e) for e in genotype.gene(k)]
        if layout == 'dco':
            cells.append(('dco', gene))
        else:
            concat = genotype.legacy_concat(k) or sorted({e[1]
                                                         for e in gene})
            cells.append(('darts', darts_pairs(gene), concat))
    net = RefNetwork(cells, list(genotype.reductions), C, num_classes,
                     stem=stem, aux=aux, aux_bn=aux_bn)
    return randomize(net)


def _classifier(genotype, C, stem, num_classes, aux=None):
    from mmddarts.registry import MODELS
    cfg = dict(
        type='mmddarts.DDartsImageClassifier',
        backbone=dict(type='mmddarts.DDartsNet', genotype=genotype.to_dict(),
                      channels=C, stem=stem,
                      aux_index=genotype.reductions[-1]),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=num_classes))
    if aux:
        cfg['aux_head'] = dict(type=aux, num_classes=num_classes)
    return MODELS.build(cfg).eval()


def _load_strict(model, path):
    from mmengine.runner import load_checkpoint
    load_checkpoint(model, path, map_location='cpu', strict=True)
    return model


def _convert_to_file(ref, genotype, tmp_path, **kwargs):
    sd, meta, report = convert_reference_state_dict(
        ref.state_dict(), genotype, **kwargs)
    path = save_converted_checkpoint(sd, meta, str(tmp_path / 'conv.pth'))
    return path, meta, report


def test_darts_v2_cifar_with_aux_head(tmp_path):
    g = load_genotype(DARTS_V2)
    ref = _ref_from_genotype(g, 'darts', 4, 5, 'cifar', aux=True)
    path, meta, report = _convert_to_file(ref, g, tmp_path)
    assert report['concat_permuted_cells'] == []
    assert meta['genotype'] == g.to_dict()
    assert (meta['channels'], meta['num_cells'], meta['stem']) == \
        (4, 8, 'cifar')
    model = _load_strict(
        _classifier(g, 4, 'cifar', 5, 'mmddarts.AuxiliaryHeadCIFAR'), path)
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, cells = ref(x, return_cells=True)
        got = model(x, mode='tensor')
        assert_rel_close(got, want)
        # the auxiliary head too (last reduction cell, 8x8)
        aux_ref = ref.auxiliary_head.classifier(
            ref.auxiliary_head.features(cells[5]).flatten(1))
        _, aux_in = model.backbone(x, with_aux_output=True)
        assert_rel_close(model.aux_head((aux_in, )), aux_ref)


def test_dco_permuted_concat_and_multi_op_edges(tmp_path):
    g = _permuted_genotype()
    ref = _ref_from_genotype(g, 'dco', 4, 3, 'cifar', aux=True)
    keys = set(ref.state_dict())
    assert 'cells.0._ops.3.0.1.op.1.weight' in keys  # 2nd op on 0->3
    path, _, report = _convert_to_file(ref, g, tmp_path)
    assert report['concat_permuted_cells'] == [0, 1, 2]
    model = _load_strict(
        _classifier(g, 4, 'cifar', 3, 'mmddarts.AuxiliaryHeadCIFAR'), path)
    x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        want, cells = ref(x, return_cells=True)
        assert_rel_close(model(x, mode='tensor'), want)
        _, aux_in = model.backbone(x, with_aux_output=True)
        aux_ref = ref.auxiliary_head.classifier(
            ref.auxiliary_head.features(cells[1]).flatten(1))
        assert_rel_close(model.aux_head((aux_in, )), aux_ref)
        # Mapping by name alone (no permutation) computes something else.
        sd, _, _ = convert_reference_state_dict(
            ref.state_dict(), g, respect_concat_order=False)
        naive = _classifier(g, 4, 'cifar', 3, 'mmddarts.AuxiliaryHeadCIFAR')
        naive.load_state_dict(sd, strict=True)
        assert rel_error(naive(x, mode='tensor'), want) > 1e-2


def test_do2_resnet18_imagenet_classifier_and_det_backbone(tmp_path):
    g = load_genotype(DO2_R18)
    ref = _ref_from_genotype(g, 'dco', 8, 6, 'ddarts_imagenet', aux=True,
                             aux_bn=True)
    # D-DARTS' ImageNet aux head has a BN after its 2x2 conv, ours (DARTS')
    # not: converting it is refused with the keys named ...
    with pytest.raises(ConversionError, match='features.6'):
        convert_reference_state_dict(ref.state_dict(), g,
                                     stem='ddarts_imagenet')
    # ... and --drop-aux leaves it out.
    path, meta, report = _convert_to_file(ref, g, tmp_path,
                                          stem='ddarts_imagenet',
                                          drop_aux=True)
    assert report['dropped_aux_keys'] > 0
    model = _load_strict(_classifier(g, 8, 'ddarts_imagenet', 6), path)
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        want, cells = ref(x, return_cells=True)
        # fan-in scaled weights (randomize): O(1) logits, not ~1e17
        assert 0.1 < want.abs().max() < 100
        assert_rel_close(model(x, mode='tensor'), want)
    from mmddarts.registry import MODELS
    det = MODELS.build(dict(
        type='mmddarts.DDartsDetBackbone', genotype=DO2_R18, channels=8,
        stem='ddarts_imagenet',
        init_cfg=dict(type='Pretrained', checkpoint=path)))
    det.init_weights()
    det.eval()
    with torch.no_grad():
        feats = det(x)
    assert [f.shape[-1] for f in feats] == [16, 8, 4, 2]  # strides 4..32
    for f, c in zip(feats, cells):
        assert_rel_close(f, c)


def _darts_ckpt(tmp_path, stem='imagenet'):
    """A DARTS ImageNet-style file: DataParallel keys under 'state_dict',
    written before BatchNorm had num_batches_tracked."""
    g = load_genotype(DARTS_V2)
    ref = _ref_from_genotype(g, 'darts', 8, 4, stem, aux=True, aux_bn=False)
    sd = {f'module.{k}': v for k, v in ref.state_dict().items()
          if not k.endswith('num_batches_tracked')}
    src = str(tmp_path / 'darts_imagenet.pt')
    torch.save({'state_dict': sd, 'epoch': 250}, src)
    return g, ref, src


def _run_tool(name, args, monkeypatch, capsys):
    """The converter script in this process (sys.argv patched)."""
    tool = osp.join(ROOT, 'tools/model_converters', name)
    monkeypatch.setattr(sys, 'argv', [tool] + args)
    runpy.run_path(tool, run_name='__main__')
    return capsys.readouterr().out


def test_darts2mmddarts_tool(tmp_path, monkeypatch, capsys):
    g, ref, src = _darts_ckpt(tmp_path)
    dst = str(tmp_path / 'out' / 'darts.pth')
    out = _run_tool('darts2mmddarts.py', [src, dst, '--genotype', DARTS_V2],
                    monkeypatch, capsys)
    counters = sum(k.endswith('num_batches_tracked') for k in ref.state_dict())
    assert f'BN counters filled: {counters};' in out
    ck = torch.load(dst, weights_only=True)
    assert ck['meta']['genotype'] == g.to_dict()
    assert ck['meta']['stem'] == 'imagenet'
    assert ck['meta']['converter'] == 'darts2mmddarts'
    model = _load_strict(
        _classifier(g, 8, 'imagenet', 4, 'mmddarts.AuxiliaryHeadImageNet'),
        dst)
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        assert_rel_close(model(x, mode='tensor'), ref(x))


def test_errors_name_keys_cells_and_edges(tmp_path):
    g = _permuted_genotype()
    ref = _ref_from_genotype(g, 'dco', 4, 3, 'cifar')
    sd = ref.state_dict()
    # a missing weight: named with its cell / edge
    broken = dict(sd)
    del broken['cells.2._ops.4.3.0.op.5.weight']
    with pytest.raises(ConversionError, match=r"missing 'cells\.2\._ops\.4"
                       r"\.3\.0\.op\.5\.weight'.*cell 2 edge 6 "
                       r'\(bottleneck_1x3x1, 3->4\)'):
        convert_reference_state_dict(broken, g)
    # a key the genotype has no edge for
    extra = dict(sd)
    extra['cells.1._ops.5.0.0.op.1.weight'] = torch.zeros(1)
    with pytest.raises(ConversionError, match=r"unused 'cells\.1\._ops\.5"
                       r".*cell 1, edge 0->5 #0: the gene has no such edge"):
        convert_reference_state_dict(extra, g)
    # a genotype whose op differs from the checkpoint's (5x5 vs 3x3)
    wrong = Genotype(genes=[PERMUTED,
                            REDUCE[:4] + [['sep_conv_3x3', 4, 2]]],
                     seq=[0, 1, 0], reductions=[1], op_set='extended')
    with pytest.raises(ConversionError, match=r'shape of .*cells\.1\._ops'
                       r'\.4\.2\.0\.op\.1\.weight.*cell 1 edge 4 '
                       r'\(sep_conv_3x3, 2->4\)'):
        convert_reference_state_dict(sd, wrong)
    # the reference DCOCell would skip an edge read from a later node
    skipped = Genotype(genes=[[['sep_conv_3x3', 3, 2], ['skip_connect', 2,
                                                        0],
                               ['max_pool_3x3', 3, 1]], REDUCE],
                       seq=[0, 1, 0], reductions=[1], op_set='extended')
    with pytest.raises(ConversionError, match=r'cell 0 edge 0 .*computes '
                       r'node 3 before node 2'):
        convert_reference_state_dict(sd, skipped)
    # fewer cells than the checkpoint
    with pytest.raises(ConversionError, match='checkpoint has 3 cells'):
        convert_reference_state_dict(
            sd, g.replace(seq=[0, 1], reductions=[1]))


def test_ddarts2mmddarts_tool(tmp_path, monkeypatch, capsys):
    """A D-DARTS .pth.tar (DataParallel keys under 'state_dict', DCO cells
    in a permuted concat order) through the command line."""
    g = _permuted_genotype()
    gpath = str(tmp_path / 'g.json')
    g.save(gpath)
    ref = _ref_from_genotype(g, 'dco', 4, 3, 'cifar')
    src = str(tmp_path / 'model_best.pth.tar')
    torch.save({'epoch': 3, 'best_acc_top1': 1.0, 'state_dict': {
        f'module.{k}': v for k, v in ref.state_dict().items()}}, src)
    dst = str(tmp_path / 'conv.pth')
    out = _run_tool('ddarts2mmddarts.py', [src, dst, '--genotype', gpath],
                    monkeypatch, capsys)
    assert 'dco cells, C=4, 3 cells, 3 classes' in out
    assert 'concat order permuted in cells: [0, 1, 2]' in out
    model = _load_strict(_classifier(g, 4, 'cifar', 3), dst)
    x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        assert_rel_close(model(x, mode='tensor'), ref(x))
    # a genotype of another depth: stops, saying what to do
    g.replace(seq=[0, 1, 0, 0]).save(gpath)
    with pytest.raises(SystemExit, match='checkpoint has 3 cells, the '
                       'genotype 4; pass num_cells=3'):
        _run_tool('ddarts2mmddarts.py', [src, dst, '--genotype', gpath],
                  monkeypatch, capsys)
