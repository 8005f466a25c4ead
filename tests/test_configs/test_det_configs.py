"""Every shipped detection / instance segmentation config agrees with the
network it builds: neck in_channels, anchor and RoI strides, registry flow."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

pytest.importorskip('mmdet')

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'configs', 'detection', '*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'instance_seg', '*.py')))


def test_the_paper_configs_are_shipped():
    names = {osp.basename(p) for p in CONFIGS}
    assert 'retinanet_do2-resnet18_fpn_1x_coco.py' in names
    assert 'mask-rcnn_do2-resnet18_fpn_1x_cityscapes.py' in names
    assert 'retinanet_do2-resnet18_fpn_tiny-shapes.py' in names
    assert len(CONFIGS) >= 6


def _fpn_strides(neck, backbone_strides):
    # FPN keeps the inputs from start_level on and adds stride-2 levels.
    strides = list(backbone_strides[neck.get('start_level', 0):])
    while len(strides) < neck.num_outs:
        strides.append(strides[-1] * 2)
    return strides[:neck.num_outs]


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_matches_backbone(path):
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmdet'
    init_default_scope('mmdet')
    bcfg = cfg.model.backbone.copy()
    bcfg.init_cfg = None
    backbone = MODELS.build(bcfg)  # the real widths (C = 48 / 64)
    backbone.eval()
    with torch.no_grad():
        feats = backbone(torch.zeros(1, 3, 128, 128))
    channels = [f.shape[1] for f in feats]
    strides = [128 // f.shape[-1] for f in feats]
    assert cfg.model.neck.in_channels == channels
    assert backbone.out_strides == strides
    fpn = _fpn_strides(cfg.model.neck, strides)
    if 'bbox_head' in cfg.model:  # RetinaNet
        assert cfg.model.bbox_head.anchor_generator.strides == fpn
    if 'rpn_head' in cfg.model:  # Mask R-CNN
        assert cfg.model.rpn_head.anchor_generator.strides == fpn
        rois = cfg.model.roi_head
        assert rois.bbox_roi_extractor.featmap_strides == fpn[:len(
            rois.bbox_roi_extractor.featmap_strides)]
        assert rois.mask_roi_extractor.featmap_strides == \
            rois.bbox_roi_extractor.featmap_strides
        # No ResNet-50 COCO detector weights for a DARTS backbone.
        assert cfg.get('load_from') is None
    # The genotype path resolves wherever the command is run from.
    assert osp.isfile(bcfg.genotype)
    if 'tiny' in osp.basename(path):  # offline demos train from scratch
        assert cfg.model.backbone.init_cfg is None
    else:  # the paper fine-tunes ImageNet classifiers
        assert cfg.model.backbone.init_cfg.type == 'Pretrained'


def test_mmdet_registry_finds_backbone_in_a_fresh_process():
    # mmdet's tools/train.py: default_scope 'mmdet', no custom_imports; the
    # 'mmddarts.' prefix must make mmengine import our package by itself.
    code = (
        'import sys\n'
        'from mmengine.registry import init_default_scope\n'
        'from mmdet.registry import MODELS\n'
        'init_default_scope("mmdet")\n'
        'assert "mmddarts.models" not in sys.modules\n'
        f'g = {osp.join(ROOT, "configs", "genotypes", "darts-v2.json")!r}\n'
        'm = MODELS.build(dict(type="mmddarts.DDartsDetBackbone", '
        'genotype=g, channels=4))\n'
        'print(type(m).__module__)\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, timeout=300, cwd='/',
                         env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'mmddarts.models.backbones.ddarts_det_backbone' in out.stdout


MMDET_BASES = {
    # config -> mmdet's own model base it must keep (the ResNet-50 setting)
    'retinanet_do2-resnet18_fpn_1x_coco.py':
    'retinanet/retinanet_r50_fpn_1x_coco.py',
    'mask-rcnn_do2-resnet18_fpn_1x_cityscapes.py':
    'cityscapes/mask-rcnn_r50_fpn_1x_cityscapes.py',
}


@pytest.mark.parametrize('name', sorted(MMDET_BASES))
def test_do2_resnet18_configs_are_mmdet_r50_settings(name):
    """With D-DARTS' /4 ImageNet stem DO-2-ResNet18 has ResNet-50's strides
    (4, 8, 16, 32) and widths, so neck, anchors and RoI extractors are
    exactly mmdet's R50 ones."""
    path = [p for p in CONFIGS if osp.basename(p) == name][0]
    cfg = Config.fromfile(path)
    import mmdet
    base = Config.fromfile(osp.join(osp.dirname(mmdet.__file__), '.mim',
                                    'configs', MMDET_BASES[name]))
    bb = cfg.model.backbone
    assert bb.stem == 'ddarts_imagenet'
    from mmddarts.models.backbones.ddarts_det_backbone import det_out_strides
    assert det_out_strides(bb.genotype, bb.out_indices, stem=bb.stem) == [
        4, 8, 16, 32]
    assert cfg.model.neck == base.model.neck
    for key in ('bbox_head', 'rpn_head', 'roi_head'):
        if key in base.model:
            assert cfg.model[key] == base.model[key]


@pytest.mark.parametrize(
    'path', [p for p in CONFIGS if 'tiny' not in p], ids=osp.basename)
def test_backbone_is_the_pretrained_classifier(path):
    """The ImageNet training config named by ``pretrained`` builds the same
    network: same genotype, C, cells and stem (the stems share weights, so
    a wrong stem would load silently and run at the wrong strides)."""
    cfg = Config.fromfile(path)
    bb = cfg.model.backbone
    # work_dirs/train/<config>/epoch_250.pth (tools/train.py's default)
    assert cfg.pretrained.split('/')[:2] == ['work_dirs', 'train']
    name = cfg.pretrained.split('/')[2]
    train = Config.fromfile(osp.join(ROOT, 'configs', 'train', name + '.py'))
    tb = train.model.backbone
    assert osp.realpath(bb.genotype) == osp.realpath(
        osp.join(ROOT, tb.genotype))
    assert bb.channels == tb.channels
    assert bb.get('num_cells') == tb.get('num_cells') or (
        bb.get('num_cells') is None and tb.num_cells == 4)
    assert bb.stem == tb.stem
    if bb.get('num_cells') == 14:  # DARTS' /8 stem: FPN from level 0
        assert bb.stem == 'imagenet' and cfg.model.neck.start_level == 0
