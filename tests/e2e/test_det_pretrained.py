"""A detector's init_weights() loads the ImageNet classifier's backbone."""

import pytest
import torch

pytest.importorskip('mmdet')

from mmddarts.registry import MODELS  # noqa: E402
from mmddarts.testing.det_toy_config import (RETINANET,  # noqa: E402
                                             tiny_config)


def test_retinanet_init_weights_loads_classifier_backbone(tmp_path):
    from mmdet.registry import MODELS as MMDET_MODELS
    from mmengine.registry import init_default_scope
    cfg = tiny_config(RETINANET, str(tmp_path), str(tmp_path / 'work'))
    bb = cfg.model.backbone
    clf = MODELS.build(dict(
        type='mmddarts.DDartsImageClassifier',
        backbone=dict(type='mmddarts.DDartsNet', genotype=bb.genotype,
                      channels=bb.channels, stem=bb.stem),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=7),
        aux_head=dict(type='mmddarts.AuxiliaryHeadImageNet', num_classes=7)))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in clf.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    path = str(tmp_path / 'cls.pth')
    torch.save({'meta': {}, 'state_dict': clf.state_dict()}, path)
    bb.init_cfg = dict(type='Pretrained', checkpoint=path)
    init_default_scope('mmdet')
    det = MMDET_MODELS.build(cfg.model)
    neck_before = {k: v.clone() for k, v in det.neck.state_dict().items()}
    det.init_weights()  # what mmengine's Runner calls
    got = det.backbone.state_dict()
    for k, v in clf.backbone.state_dict().items():
        torch.testing.assert_close(got[k], v, rtol=0, atol=0)
    # The rest of the detector is initialised by mmdet, not from the file.
    assert any(not torch.equal(v, neck_before[k])
               for k, v in det.neck.state_dict().items())
