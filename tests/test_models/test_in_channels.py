"""Any number of input channels: grey (1-channel) images run natively.

The check that does not trust the code under test: a 1-channel network must
compute exactly what the 3-channel network with the same weights computes
when its stem's first conv has zero weights on two extra input channels
(filled with noise, which must then have no effect).
"""
import os.path as osp

import numpy as np
import pytest
import torch

from mmddarts.models.backbones import DDartsDetBackbone, DDartsNet
from mmddarts.models.search import DDartsSupernet
from mmddarts.models.search.dartopti import DARTOptiSupernet
from mmddarts.structures.loading import load_genotype

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DARTS_V2 = osp.join(ROOT, 'configs', 'genotypes', 'darts-v2.json')
DO2 = osp.join(ROOT, 'configs', 'genotypes', 'do2-resnet18_c100.json')


def _randomize(module, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand(t.shape, generator=gen) * 0.5 + 0.5
                        if 'running_var' in name else
                        torch.randn(t.shape, generator=gen) * 0.3)
    return module


def _padded_twin(net1, build3, stem_key):
    """The 3-channel network with net1's weights, stem conv zero-padded."""
    net3 = build3()
    sd = dict(net1.state_dict())
    w = sd[stem_key]
    assert w.shape[1] == 1
    sd[stem_key] = torch.cat([w, torch.zeros_like(w), torch.zeros_like(w)], 1)
    for key, value in net3.state_dict().items():
        if key.endswith('_extra_state'):  # the network record says 3
            sd[key] = value
    net3.load_state_dict(sd)
    return net3


def _inputs(H=16, W=16, batch=2):
    gen = torch.Generator().manual_seed(1)
    x1 = torch.randn(batch, 1, H, W, generator=gen, dtype=torch.float64)
    noise = 5 * torch.randn(batch, 2, H, W, generator=gen,
                            dtype=torch.float64)
    return x1, torch.cat([x1, noise], 1)


def _outputs(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.mark.parametrize('kwargs', [
    dict(alpha_mode='individual', mixing='sigmoid'),
    dict(alpha_mode='shared', mixing='softmax'),
])
def test_search_supernet_one_channel(kwargs):
    def build(c):
        torch.manual_seed(0)
        return DDartsSupernet(num_classes=10, channels=4, num_cells=3, steps=2,
                              in_channels=c, **kwargs).double()
    net1 = _randomize(build(1).double())
    net3 = _padded_twin(net1, lambda: build(3), 'stem.0.weight')
    x1, x3 = _inputs()
    for mode in ('train', 'eval'):
        getattr(net1, mode)()
        getattr(net3, mode)()
        with torch.no_grad():
            out1, out3 = net1(x1), net3(x3)
        assert out1.shape == (2, 10)
        torch.testing.assert_close(out1, out3, rtol=1e-10, atol=1e-10)
    # and it learns: the stem's single input channel gets a gradient
    net1.train()
    net1(x1).square().mean().backward()
    assert net1.stem[0].weight.grad.abs().sum() > 0


def test_dartopti_supernet_one_channel():
    def build(c):
        torch.manual_seed(0)
        return DARTOptiSupernet(baseline='resnet18', num_classes=10,
                                channels=4, in_channels=c).double()
    net1 = _randomize(build(1))
    net3 = _padded_twin(net1, lambda: build(3), 'stem.0.weight')
    x1, x3 = _inputs()
    net1.eval()
    net3.eval()
    with torch.no_grad():
        torch.testing.assert_close(net1(x1), net3(x3), rtol=1e-10,
                                   atol=1e-10)


@pytest.mark.parametrize('stem,key,size', [
    ('cifar', 'stem.0.weight', 16),
    ('imagenet', 'stem0.0.weight', 32),
    ('ddarts_imagenet', 'stem0.0.weight', 32),
])
def test_derived_net_one_channel(stem, key, size):
    g = load_genotype(DARTS_V2)

    def build(c):
        return DDartsNet(g, channels=4, stem=stem, in_channels=c).double()
    net1 = _randomize(build(1)).eval()
    net3 = _padded_twin(net1, lambda: build(3), key).eval()
    x1, x3 = _inputs(size, size)
    with torch.no_grad():
        out1, out3 = _outputs(net1(x1)), _outputs(net3(x3))
    assert len(out1) == len(out3) >= 1
    for a, b in zip(out1, out3):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_detection_backbone_one_channel():
    def build(c):
        return DDartsDetBackbone(DO2, channels=4, in_channels=c).double()
    net1 = _randomize(build(1)).eval()
    net3 = _padded_twin(net1, lambda: build(3), 'stem0.0.weight').eval()
    x1, x3 = _inputs(64, 96)
    with torch.no_grad():
        out1, out3 = net1(x1), net3(x3)
    # DO-2-ResNet18 with the D-DARTS stem: strides 4, 8, 16, 32
    assert [o.shape[-2:] for o in out1] == [(16, 24), (8, 12), (4, 6),
                                            (2, 3)]
    for a, b in zip(out1, out3):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_converter_reads_a_one_channel_reference_checkpoint():
    from _reference_nets import RefNetwork, darts_pairs, randomize

    from mmddarts.models.converters import convert_reference_state_dict
    from mmddarts.registry import MODELS
    g = load_genotype(DARTS_V2)
    cells = [('darts', darts_pairs([list(e) for e in g.gene(k)]),
              g.legacy_concat(k) or sorted({e[1] for e in g.gene(k)}))
             for k in range(g.num_cells)]
    ref = RefNetwork(cells, list(g.reductions), 4, 5, stem='cifar')
    ref.stem[0] = torch.nn.Conv2d(1, 12, 3, 1, 1, bias=False)  # grey stem
    ref = randomize(ref)
    sd, meta, _ = convert_reference_state_dict(ref.state_dict(), g)
    assert meta['in_channels'] == 1
    model = MODELS.build(dict(
        type='mmddarts.DDartsImageClassifier',
        backbone=dict(type='mmddarts.DDartsNet', genotype=g.to_dict(),
                      channels=4, in_channels=1),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=5))).eval()
    model.load_state_dict(sd, strict=True)
    x = torch.randn(2, 1, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(model(x, mode='tensor'), ref(x),
                                   rtol=1e-5, atol=1e-5)


def test_onnx_export_one_channel(tmp_path):
    pytest.importorskip('onnx')
    ort = pytest.importorskip('onnxruntime')
    from mmddarts.deployment import (check_parity, export_onnx,
                                     onnx_input_shape, wrap_for_export)
    from mmddarts.registry import MODELS
    model = MODELS.build(dict(
        type='mmddarts.DDartsImageClassifier',
        backbone=dict(type='mmddarts.DDartsNet', genotype=DARTS_V2,
                      channels=4, in_channels=1),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=10)))
    _randomize(model)
    module, names = wrap_for_export(model)
    path = export_onnx(module, str(tmp_path / 'g.onnx'), (32, 32), names,
                       in_channels=1)
    assert onnx_input_shape(path) == [2, 1, 32, 32]
    x = torch.randn(2, 1, 32, 32, generator=torch.Generator().manual_seed(3))
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    got, = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        want = model.eval()(x, mode='tensor').numpy()
    scale = max(1., float(np.abs(want).max()))
    assert np.abs(got - want).max() < 1e-4 * scale
    rows = check_parity(module, path, [x], float64=True)
    assert all(r['ok'] for r in rows)


def test_input_channels_of_configs():
    from mmengine.config import Config

    from mmddarts.utils.config_utils import input_channels
    for config, want in (('configs/train/ddarts_fmnist.py', 1),
                         ('configs/search/ddarts_fmnist.py', 1),
                         ('configs/train/ddarts_digits.py', 3)):
        assert input_channels(Config.fromfile(osp.join(ROOT, config))) == \
            want, config
