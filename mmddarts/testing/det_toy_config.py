"""Shrink a shipped detection config to a toy run on the tiny shape data.

Shared by the training tests: the shipped config's structure (backbone type,
genotype, FPN levels, anchor / RoI strides, heads, losses) is kept; only the
widths, the data, the loop length and the evaluator change.
"""
import os.path as osp

from mmengine.config import Config

from mmddarts.models.backbones.ddarts_det_backbone import det_out_channels

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RETINANET = osp.join(ROOT, 'configs', 'detection',
                     'retinanet_do2-resnet18_fpn_1x_coco.py')
MASK_RCNN = osp.join(ROOT, 'configs', 'instance_seg',
                     'mask-rcnn_do2-resnet18_fpn_1x_cityscapes.py')
SHAPES = ('rectangle', 'ellipse', 'triangle')


def _loader(dataset, batch_size, shuffle):
    return dict(
        batch_size=batch_size, num_workers=0, persistent_workers=False,
        sampler=dict(type='InfiniteSampler' if shuffle else 'DefaultSampler',
                     shuffle=shuffle),
        dataset=dataset)


def tiny_config(path, data_root, work_dir, cityscapes=False, iters=30,
                channels=4, width=16, lr=0.01, img_scale=(128, 96)):
    cfg = Config.fromfile(path)
    bb = cfg.model.backbone
    bb.channels = channels
    bb.init_cfg = None
    bb.frozen_stages = -1
    bb.norm_eval = False
    cfg.model.neck.in_channels = det_out_channels(
        bb.genotype, channels, bb.out_indices, bb.get('num_cells'))
    cfg.model.neck.out_channels = width
    if 'bbox_head' in cfg.model:  # RetinaNet
        head = cfg.model.bbox_head
        head.update(num_classes=len(SHAPES), in_channels=width,
                    feat_channels=width, stacked_convs=1)
        # An untrained toy scores below mmdet's 0.05: keep every box so
        # CocoMetric has results to score.
        cfg.model.test_cfg.score_thr = 0.
    else:  # Mask R-CNN
        cfg.model.rpn_head.update(in_channels=width, feat_channels=width)
        roi = cfg.model.roi_head
        roi.bbox_roi_extractor.out_channels = width
        roi.mask_roi_extractor.out_channels = width
        roi.bbox_head.update(in_channels=width, fc_out_channels=32)
        roi.mask_head.update(in_channels=width, conv_out_channels=width,
                             num_convs=1)
        cfg.model.train_cfg.rpn_proposal.update(nms_pre=300, max_per_img=100)
        cfg.model.train_cfg.rcnn.sampler.num = 64
        cfg.model.test_cfg.rpn.update(nms_pre=300, max_per_img=100)
        cfg.model.test_cfg.rcnn.score_thr = 0.

    train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=cityscapes),
        dict(type='Resize', scale=img_scale, keep_ratio=True),
        dict(type='PackDetInputs'),
    ]
    test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=img_scale, keep_ratio=True),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=cityscapes),
        dict(type='PackDetInputs',
             meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                        'scale_factor')),
    ]
    if cityscapes:
        ds = dict(type='CityscapesDataset', data_root=data_root)
        train_ds = dict(
            ds,
            ann_file='annotations/instancesonly_filtered_gtFine_train.json',
            data_prefix=dict(img='leftImg8bit/train/'),
            filter_cfg=dict(filter_empty_gt=True, min_size=32),
            pipeline=train_pipeline)
        val_ann = 'annotations/instancesonly_filtered_gtFine_val.json'
        val_ds = dict(ds, ann_file=val_ann,
                      data_prefix=dict(img='leftImg8bit/val/'),
                      test_mode=True, pipeline=test_pipeline)
        metric = ['bbox', 'segm']
    else:
        ds = dict(type='CocoDataset', data_root=data_root,
                  metainfo=dict(classes=SHAPES))
        train_ds = dict(ds, ann_file='annotations/instances_train2017.json',
                        data_prefix=dict(img='train2017/'),
                        filter_cfg=dict(filter_empty_gt=True, min_size=8),
                        pipeline=train_pipeline)
        val_ann = 'annotations/instances_val2017.json'
        val_ds = dict(ds, ann_file=val_ann, data_prefix=dict(img='val2017/'),
                      test_mode=True, pipeline=test_pipeline)
        metric = 'bbox'
    cfg.train_dataloader = _loader(train_ds, 2, True)
    cfg.val_dataloader = _loader(val_ds, 2, False)
    cfg.test_dataloader = cfg.val_dataloader
    # COCO metrics only: mmdet's CityScapesMetric needs cityscapesscripts.
    cfg.val_evaluator = dict(type='CocoMetric',
                             ann_file=osp.join(data_root, val_ann),
                             metric=metric)
    cfg.test_evaluator = cfg.val_evaluator

    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                         val_interval=iters)
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1,
                                by_epoch=False, begin=0, end=5)]
    cfg.optim_wrapper = dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=lr, momentum=0.9, weight_decay=1e-4),
        clip_grad=dict(max_norm=10, norm_type=2))
    cfg.default_hooks.logger.interval = 5
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.visualization = dict(type='DetVisualizationHook',
                                           draw=False)
    cfg.log_processor = dict(by_epoch=False, window_size=1)
    cfg.pop('auto_scale_lr', None)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=0)
    cfg.launcher = 'none'
    return cfg
