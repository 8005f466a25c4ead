"""ONNX export of an ACA network (channel gathers around smaller ops):
onnxruntime parity with PyTorch, dynamic batch (docs/aca.md)."""
import os.path as osp

import pytest
import torch

onnx = pytest.importorskip('onnx')
ort = pytest.importorskip('onnxruntime')

from mmddarts.deployment import (check_parity, export_onnx,  # noqa: E402
                                 wrap_for_export)
from mmddarts.testing.aca_genotypes import aca_version  # noqa: E402
from mmddarts.structures.loading import load_genotype  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_aca_classifier_onnx_parity(tmp_path):
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope

    from mmddarts.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(ROOT, 'configs/train/aca-darts_c10.py'))
    geno = aca_version(load_genotype(osp.join(
        ROOT, 'configs/genotypes/darts-v2.json')))
    cfg.model.backbone.update(genotype=geno.to_dict(), channels=8,
                              num_cells=5)
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    assert any(type(m).__name__ == 'ACAEdge' for m in model.modules())
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # non-trivial eval-mode BN
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand(t.shape, generator=gen) * 0.5 + 0.5
                        if 'running_var' in name else
                        torch.randn(t.shape, generator=gen) * 0.2)
    module, names = wrap_for_export(model)
    path = export_onnx(module, str(tmp_path / 'aca.onnx'), (16, 16), names,
                       dynamic_batch=True)
    x = torch.randn(3, 3, 16, 16, generator=gen)
    rows = check_parity(module, path, [x[:1], x], float64=True)
    assert max(r['max_abs_diff'] for r in rows) < 1e-4
