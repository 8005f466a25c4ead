"""An ACA genotype in a detection config: the backbone builds its ACA
edges, the detector runs, the stage widths are the plain genotype's."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmddarts.structures.loading import load_genotype

pytest.importorskip('mmdet')

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_retinanet_with_aca_backbone():
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmddarts.testing.aca_genotypes import aca_version

    from mmddarts.models.backbones.ddarts_det_backbone import \
        det_out_channels
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs/detection/retinanet_darts-v2_fpn_1x_coco.py'))
    plain = load_genotype(osp.join(ROOT, 'configs/genotypes/darts-v2.json'))
    geno = aca_version(plain, width=16, seed=1)
    cfg.model.backbone.update(genotype=geno.to_dict(), init_cfg=None)
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    backbone = model.backbone
    assert any(type(m).__name__ == 'ACAEdge' for m in backbone.modules())
    C = cfg.model.backbone.channels
    assert backbone.out_stage_channels == det_out_channels(
        plain, C, cfg.model.backbone.get('out_indices'),
        num_cells=cfg.model.backbone.get('num_cells'))
    model.eval()
    with torch.no_grad():
        feats = backbone(torch.zeros(1, 3, 64, 64))
        outs = model(torch.zeros(1, 3, 64, 64), mode='tensor')
    assert [f.shape[1] for f in feats] == backbone.out_stage_channels
    assert len(outs) == 2  # RetinaNet: class and box outputs per level
