"""Every shipped training config, at C=4: one training loss reaches every
trainable parameter (else DDP, which the configs use without
find_unused_parameters, fails on the second iteration), and what gets no
gradient is exactly what the backbone froze (idle preprocessing, dead
cells), so the papers' parameter counts still include it."""
import glob
import os.path as osp

import pytest
import torch

pytest.importorskip('mmpretrain')

from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

from mmddarts.registry import MODELS  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs/train/*.py')))
# stand-in for a genotype that a search run writes (same kind of network)
STAND_IN = osp.join(REPO, 'configs/genotypes/baseline-resnet18.json')


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_every_trainable_parameter_gets_a_gradient(path, monkeypatch):
    monkeypatch.chdir(REPO)  # genotype paths are relative to the repo
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    cfg.model.backbone.channels = 4
    if not osp.isfile(cfg.model.backbone.genotype):
        assert cfg.model.backbone.genotype.startswith('work_dirs/')
        cfg.model.backbone.genotype = STAND_IN
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    size = 224 if 'in1k' in osp.basename(path) else 32
    # 1 channel for grey data sets (Fashion-MNIST)
    x = torch.randn(2, cfg.model.backbone.get('in_channels', 3), size, size)
    samples = [DataSample().set_gt_label(0), DataSample().set_gt_label(1)]
    losses = model(x, samples, mode='loss')
    sum(losses.values()).backward()
    no_grad = sorted(n for n, p in model.named_parameters()
                     if p.requires_grad and p.grad is None)
    assert no_grad == [], f'{osp.basename(path)}: {no_grad[:5]}'
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert all(p.grad is None for p in model.parameters()
               if not p.requires_grad)
    backbone = model.backbone
    dead = {f'backbone.cells.{i}.' for i in backbone.dead_cells}
    for name in frozen:  # only idle preprocessing or dead cells
        assert '.preprocess' in name or any(
            name.startswith(d) for d in dead), name
