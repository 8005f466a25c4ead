"""ONNX export: parity with PyTorch under ONNX Runtime, dynamic batch, no
training-only parts (drop path, auxiliary head) in the graph."""
import os.path as osp
import runpy
import sys

import pytest
import torch

onnx = pytest.importorskip('onnx')
ort = pytest.importorskip('onnxruntime')

from mmengine.config import Config  # noqa: E402

from mmddarts.deployment import (OnnxParityError, TRAINING_ONLY_OPS,  # noqa
                                 check_parity, export_onnx, graph_op_types,
                                 onnx_input_shape, wrap_for_export)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools/deployment/pytorch2onnx.py')


def _run_tool(args, capsys, monkeypatch):
    """Run the tool in this process (a new interpreter would spend most of
    the time importing mmdet / mmpretrain); returns (status, out, err)."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, 'argv', [TOOL] + args)
    status = 0
    try:
        runpy.run_path(TOOL, run_name='__main__')
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
        if not isinstance(exc.code, int) and exc.code is not None:
            print(exc.code, file=sys.stderr)
    out = capsys.readouterr()
    return status, out.out, out.err


def _build(config, **backbone):
    from mmengine.registry import MODELS, init_default_scope

    from mmddarts.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.model.backbone.update(backbone)
    if not osp.isabs(cfg.model.backbone.genotype):
        cfg.model.backbone.genotype = osp.join(ROOT,
                                               cfg.model.backbone.genotype)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(cfg.model)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # BN statistics too: eval BN is not identity
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand(t.shape, generator=gen) * 0.5 + 0.5
                        if 'running_var' in name else
                        torch.randn(t.shape, generator=gen) * 0.2)
    return model


def _ort(path, x):
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    return sess.run(None, {sess.get_inputs()[0].name: x.numpy()})


def test_darts_v2_cifar_dynamic_batch_without_training_parts(tmp_path):
    model = _build('configs/train/darts-v2_c10.py', channels=4, num_cells=8)
    assert model.with_aux_head
    # as after training: DropPathHook left a drop-path rate on the backbone
    model.backbone.drop_path_prob = 0.3
    model.train()
    module, names = wrap_for_export(model)
    assert names == ['logits']
    path = export_onnx(module, str(tmp_path / 'd.onnx'), (32, 32), names,
                       dynamic_batch=True)
    types = graph_op_types(path)
    assert not types & TRAINING_ONLY_OPS
    assert 'Conv' in types and 'Gemm' in types
    # one output, the classifier's; the aux head's 768-d layers are absent
    graph = onnx.load(path).graph
    assert [o.name for o in graph.output] == ['logits']
    assert not any(768 in list(i.dims) for i in graph.initializer)
    assert onnx_input_shape(path) == ['batch', 3, 32, 32]
    # batch 5 through the symbolic axis, compared with eval-mode PyTorch
    x = torch.randn(5, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        want = model(x, mode='tensor').numpy()
    got, = _ort(path, x)
    assert got.shape == (5, 10)
    assert abs(got - want).max() < 1e-4
    # and the parity check agrees, on two batch sizes
    rows = check_parity(module, path, [x[:2], x], float64=True)
    assert max(r['max_abs_diff'] for r in rows) < 1e-4
    assert all(r['onnx_fp32_err'] < 1e-4 for r in rows)


def test_static_batch_is_fixed(tmp_path):
    model = _build('configs/train/darts-v2_c10.py', channels=4, num_cells=8)
    module, names = wrap_for_export(model)
    path = export_onnx(module, str(tmp_path / 's.onnx'), (32, 32), names)
    assert onnx_input_shape(path) == [2, 3, 32, 32]
    with pytest.raises(Exception):
        _ort(path, torch.zeros(3, 3, 32, 32))


def test_parity_failure_is_loud(tmp_path):
    model = _build('configs/train/darts-v2_c10.py', channels=4, num_cells=8)
    module, names = wrap_for_export(model)
    path = export_onnx(module, str(tmp_path / 'p.onnx'), (32, 32), names)
    # perturb the classifier weights inside the ONNX file
    m = onnx.load(path)
    from onnx import numpy_helper
    for i, init in enumerate(m.graph.initializer):
        arr = numpy_helper.to_array(init)
        if arr.shape == (10, model.head.fc.in_features):
            m.graph.initializer[i].CopyFrom(
                numpy_helper.from_array(arr * 1.01, init.name))
    onnx.save(m, path)
    x = torch.randn(2, 3, 32, 32)
    with pytest.raises(OnnxParityError, match='differ by'):
        check_parity(module, path, [x])
    # a wrong graph is far from float64 too: not excused as rounding noise
    with pytest.raises(OnnxParityError, match='vs float64 ONNX is off by'):
        check_parity(module, path, [x], float64=True)


def test_tool_do2_resnet18_imagenet_classifier(tmp_path, capsys,
                                               monkeypatch):
    """DO-2-ResNet18 with D-DARTS' ImageNet stem, from a checkpoint."""
    model = _build('configs/train/do2-resnet18_in1k.py', channels=8)
    ckpt = str(tmp_path / 'm.pth')
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, ckpt)
    out = str(tmp_path / 'r18.onnx')
    status, stdout, stderr = _run_tool(
        ['configs/train/do2-resnet18_in1k.py', ckpt, '--out', out,
         '--shape', '64', '64', '--dynamic-batch', '--cfg-options',
         'model.backbone.channels=8'], capsys, monkeypatch)
    assert status == 0, stdout + stderr
    assert 'parity OK' in stdout
    assert 'batch 3 logits (3, 1000)' in stdout
    x = torch.randn(3, 3, 64, 64, generator=torch.Generator().manual_seed(5))
    model.eval()
    with torch.no_grad():
        want = model(x, mode='tensor').numpy()
    got, = _ort(out, x)
    assert abs(got - want).max() < 1e-4


def test_tool_detection_backbone_multiscale(tmp_path, capsys, monkeypatch):
    pytest.importorskip('mmdet')
    out = str(tmp_path / 'det.onnx')
    cfg = 'configs/detection/retinanet_do2-resnet18_fpn_1x_coco.py'
    status, stdout, stderr = _run_tool(
        [cfg, '--out', out, '--shape', '64', '96', '--backbone-only',
         '--dynamic-batch', '--cfg-options', 'model.backbone.channels=8',
         'model.backbone.init_cfg=None'], capsys, monkeypatch)
    assert status == 0, stdout + stderr
    assert 'parity OK' in stdout
    names = [o.name for o in onnx.load(out).graph.output]
    assert names == ['feat0', 'feat1', 'feat2', 'feat3']
    got = _ort(out, torch.randn(3, 3, 64, 96))
    # strides 4, 8, 16, 32; widths 4 nodes x 8, 16, 32, 64 channels
    assert [g.shape for g in got] == [(3, 32, 16, 24), (3, 64, 8, 12),
                                      (3, 128, 4, 6), (3, 256, 2, 3)]


def test_tool_refuses_detector_without_backbone_only(tmp_path, capsys,
                                                     monkeypatch):
    pytest.importorskip('mmdet')
    status, _, stderr = _run_tool(
        ['configs/detection/retinanet_do2-resnet18_fpn_1x_coco.py', '--out',
         str(tmp_path / 'x.onnx'), '--cfg-options',
         'model.backbone.channels=8', 'model.backbone.init_cfg=None'],
        capsys, monkeypatch)
    assert status == 1
    assert 'not an image classifier; pass backbone_only=True ' \
        '(--backbone-only)' in stderr
