"""Every config in configs/train loads, builds its model and training
pipeline, and the model matches the config's description."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs/train/*.py')))


def build(path):
    from mmddarts.registry import MODELS
    cfg = Config.fromfile(path)
    genotype = cfg.model.backbone.genotype
    if isinstance(genotype, str) and not osp.isfile(genotype):
        # A config that trains a search result (written by the search run)
        # is checked with a stand-in of the same kind: the DARTOpti ResNet18
        # search starts from, and keeps the layout of, the ResNet18 baseline.
        assert genotype.startswith('work_dirs/'), genotype
        cfg.model.backbone.genotype = osp.join(
            ROOT, 'configs/genotypes/baseline-resnet18.json')
    init_default_scope(cfg.default_scope)
    return cfg, MODELS.build(cfg.model)


def n_params(model):
    return sum(p.numel() for n, p in model.named_parameters()
               if not n.startswith('aux_head'))


def test_there_are_train_configs():
    names = {osp.basename(p) for p in CONFIGS}
    assert {'darts-v2_c10.py', 'do2-resnet18_c100.py', 'ddarts_digits.py',
            'darts-v2_c10_autoaug.py'} <= names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds(path):
    from mmengine.dataset import Compose
    cfg, model = build(path)
    assert cfg.default_scope == 'mmpretrain'
    hooks = [h['type'] for h in cfg.get('custom_hooks', [])]
    if 'in1k' not in path:  # DARTS trains ImageNet without drop path
        assert 'mmddarts.DropPathHook' in hooks
    # heads are sized for the data set of the config
    classes = cfg.data_preprocessor.get('num_classes') or 1000
    assert model.head.num_classes == classes
    if model.with_aux_head:
        assert model.aux_head.num_classes == classes
    # the training pipeline builds (transform names and arguments exist)
    dataset = cfg.train_dataloader.dataset
    while 'pipeline' not in dataset:  # inside a wrapper (SplitDataset)
        dataset = dataset.dataset
    Compose(dataset.pipeline)


def test_darts_v2_config_is_darts():
    cfg, model = build(osp.join(ROOT, 'configs/train/darts-v2_c10.py'))
    assert n_params(model) == 3_349_342
    assert cfg.optim_wrapper.optimizer.lr == 0.025
    assert cfg.optim_wrapper.clip_grad.max_norm == 5.0
    assert cfg.train_cfg.max_epochs == 600
    assert cfg.model.aux_head.loss.loss_weight == 0.4
    assert cfg.custom_hooks[0].drop_path_rate == 0.2


def test_autoaugment_pipeline_runs():
    from mmengine.dataset import Compose
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/train/darts-v2_c10_autoaug.py'))
    init_default_scope(cfg.default_scope)
    pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
    img = (torch.rand(32, 32, 3) * 255).to(torch.uint8).numpy()
    out = pipeline(dict(img=img, gt_label=3))
    assert out['inputs'].shape == (3, 32, 32)
