"""TensorBoard: a tiny search with mmengine's TensorboardVisBackend writes
the alpha curves (checked against the final alphas), the contribution and
distance curves and the genotype drawings into the event files."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch

pytest.importorskip('mmpretrain')
pytest.importorskip('tensorboard')

from mmengine.config import Config  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmddarts.testing.search_runs import (experiment_name,  # noqa: E402
                                          run_train, split_loader, val_loader)

BACKENDS = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]


def test_example_config_and_recipe_add_tensorboard():
    from mmddarts.utils.config_utils import apply_cfg_options
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/search/ddarts_digits_tensorboard.py'))
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend', 'TensorboardVisBackend']
    cfg = Config.fromfile(osp.join(REPO, 'configs/search/ddarts_c10.py'))
    apply_cfg_options(cfg, {
        'visualizer.vis_backends.0.type': 'TensorboardVisBackend'})
    assert cfg.visualizer.vis_backends[0]['type'] == 'TensorboardVisBackend'


def _events(work):
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    files = glob.glob(osp.join(work, '*', 'vis_data', 'events.out.*'))
    assert files, f'no event files under {work}'
    acc = EventAccumulator(osp.dirname(files[0]),
                           size_guidance={'scalars': 0, 'images': 0})
    acc.Reload()
    return acc


def test_search_curves_and_drawings_in_tensorboard(tiny_cifar10, tmp_path):
    work = str(tmp_path / 'work')
    cfg = Config(dict(
        default_scope='mmddarts',
        work_dir=work,
        experiment_name=experiment_name('tb'),
        model=dict(
            type='mmddarts.DDartsSearch',
            architecture=dict(type='mmddarts.DDartsSupernet', num_classes=10,
                              channels=4, num_cells=3, steps=2),
            data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor',
                                   num_classes=10, mean=[127.5] * 3,
                                   std=[64.0] * 3),
            parse_methods=('sparse', 'edge'), threshold=0.5),
        train_dataloader=split_loader(tiny_cifar10, 'first'),
        arch_dataloader=split_loader(tiny_cifar10, 'second'),
        val_dataloader=val_loader(tiny_cifar10),
        val_evaluator=dict(type='mmpretrain.Accuracy', topk=(1, )),
        val_cfg=dict(),
        train_cfg=dict(type='mmddarts.SearchEpochBasedTrainLoop',
                       max_epochs=2, val_interval=1),
        optim_wrapper=dict(
            constructor='mmddarts.SearchOptimWrapperConstructor',
            architecture=dict(type='OptimWrapper',
                              optimizer=dict(type='Adam', lr=0.1)),
            weights=dict(type='OptimWrapper',
                         optimizer=dict(type='SGD', lr=0.01))),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=100),
                           checkpoint=dict(type='CheckpointHook',
                                           interval=10)),
        custom_hooks=[
            dict(type='mmddarts.GenotypeExportHook', draw=True),
            dict(type='mmddarts.ArchDistanceHook', start=None,
                 method='edge'),
        ],
        visualizer=dict(type='Visualizer', vis_backends=BACKENDS),
        randomness=dict(seed=0),
        log_level='WARNING'))
    runner = run_train(cfg)
    acc = _events(work)
    tags = acc.Tags()
    model = runner.model
    op_names = model.architecture.op_names
    for i, (name, alpha) in enumerate(model.named_arch_parameters()):
        expect = torch.sigmoid(alpha.detach().double()).mean(0).numpy()
        for o, op in enumerate(op_names):
            tag = f'search_alpha/{i}_{name}/{op}'
            events = acc.Scalars(tag)
            assert [e.step for e in events] == [1, 2]
            np.testing.assert_allclose(events[-1].value, expect[o],
                                       rtol=1e-5)
    for tag in ('search/mc_0', 'search/dominant_2', 'arch_distance/to_start',
                'arch_distance/to_prev'):
        assert tag in tags['scalars'], tag
    from PIL import Image
    for method in ('sparse', 'edge'):
        png = osp.join(work, f'genotype_{method}_final.png')
        with Image.open(png) as img:
            size = img.size
        (event, ) = acc.Images(f'genotype_{method}')
        assert (event.width, event.height) == size
