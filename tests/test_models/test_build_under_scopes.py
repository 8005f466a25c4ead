"""Every shipped config's model builds under the config's own default scope
and under ``init_default_scope('mmddarts')`` (search configs, tools and
Python users): mmddarts models that nest mmpretrain parts write their
defaults with the scope (``'mmpretrain.ClsDataPreprocessor'``,
``'mmpretrain.CrossEntropyLoss'``) and the configs name nested modules with
theirs. Build only, at a tiny width.

The detection / instance-segmentation configs build mmdet's detectors, whose
own defaults are unprefixed mmdet names (their scope is mmdet's): the
mmddarts part of them, the DDartsDetBackbone, is built under both scopes.
"""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_GENO = 'configs/genotypes/do2-resnet18_c100.json'


def _configs(*dirs):
    return sorted(osp.relpath(p, ROOT) for d in dirs
                  for p in glob.glob(osp.join(ROOT, 'configs', d, '*.py')))


def _tiny(cfg):
    """Narrow widths; genotypes a fresh clone has (not a search's output);
    no statistics file to read."""
    model = cfg.model
    if 'architecture' in model:  # search algorithms
        model.architecture.channels = 4
    else:
        backbone = model.backbone
        backbone.channels = 4
        if str(backbone.genotype).startswith('work_dirs') or \
                '{{' in str(backbone.genotype):
            backbone.genotype = TINY_GENO
    pre = model.get('data_preprocessor')
    if isinstance(pre, dict) and 'Stats' in str(pre.get('type')):
        model.data_preprocessor = dict(type='mmpretrain.ClsDataPreprocessor',
                                       num_classes=pre.get('num_classes'))
    return cfg


CLS_CONFIGS = _configs('train', 'search')


@pytest.mark.parametrize('path', CLS_CONFIGS)
def test_model_builds_under_both_scopes(path, monkeypatch):
    monkeypatch.chdir(ROOT)  # configs name genotypes from the root
    cfg = _tiny(Config.fromfile(path))
    own = cfg.get('default_scope', 'mmengine')
    for scope in dict.fromkeys([own, 'mmddarts']):
        init_default_scope(scope)
        model = MODELS.build(cfg.model)
        assert type(model).__module__.startswith('mmddarts'), scope
        assert type(model.data_preprocessor).__name__.endswith(
            'ClsDataPreprocessor')


def test_classifier_defaults_under_mmddarts_scope(monkeypatch):
    """The issue's case: no data_preprocessor, an mmpretrain head and an
    auxiliary head without ``loss``."""
    monkeypatch.chdir(ROOT)
    init_default_scope('mmddarts')
    model = MODELS.build(dict(
        type='DDartsImageClassifier',
        backbone=dict(type='DDartsNet', genotype=TINY_GENO, channels=4),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=3),
        aux_head=dict(type='AuxiliaryHeadCIFAR', num_classes=3)))
    assert type(model.data_preprocessor).__name__ == 'ClsDataPreprocessor'
    assert type(model.head.loss_module).__name__ == 'CrossEntropyLoss'
    assert type(model.aux_head.loss_module).__name__ == 'CrossEntropyLoss'
    assert model.aux_head.loss_module.loss_weight == 0.4


@pytest.mark.parametrize('path', _configs('detection', 'instance_seg'))
def test_det_backbone_builds_under_both_scopes(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    cfg = Config.fromfile(path)
    backbone = dict(cfg.model.backbone, channels=4, init_cfg=None)
    for scope in dict.fromkeys([cfg.get('default_scope', 'mmdet'),
                                'mmddarts']):
        init_default_scope(scope)
        assert type(MODELS.build(backbone)).__name__ == 'DDartsDetBackbone'
