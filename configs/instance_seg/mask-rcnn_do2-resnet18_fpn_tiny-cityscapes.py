# Offline demo (CPU, about a minute): the Mask R-CNN / DO-2-ResNet18
# Cityscapes config shrunk (C=8, FPN width 32) and trained from scratch on the
# tiny Cityscapes-layout set written by
#   python tools/misc/write_tiny_det_data.py --cityscapes \
#       --out data/tiny_cityscapes
# Evaluated with COCO bbox/segm metrics only (mmdet's CityScapesMetric needs
# the optional cityscapesscripts package). See docs/detection.md.
_base_ = './mask-rcnn_do2-resnet18_fpn_1x_cityscapes.py'

data_root = 'data/tiny_cityscapes/'

model = dict(
    backbone=dict(channels=8, frozen_stages=-1, norm_eval=False,
                  init_cfg=None),
    # det_out_channels(do2-resnet18, 8) = [32, 64, 128, 256]
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=32),
    rpn_head=dict(in_channels=32, feat_channels=32),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        mask_roi_extractor=dict(out_channels=32),
        bbox_head=dict(in_channels=32, fc_out_channels=64),
        mask_head=dict(in_channels=32, conv_out_channels=32, num_convs=2)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=300, max_per_img=100),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(128, 64), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 64), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor')),
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(times=2, dataset=dict(data_root=data_root,
                                       pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='CocoMetric',
    ann_file=data_root + 'annotations/instancesonly_filtered_gtFine_val.json',
    metric=['bbox', 'segm'])
test_evaluator = val_evaluator

# 16 images x 2 repeats / batch 4 = 8 iterations per epoch.
train_cfg = dict(max_epochs=24, val_interval=12)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', begin=0, end=24, by_epoch=True, milestones=[20],
         gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.02), clip_grad=dict(max_norm=10))
default_hooks = dict(logger=dict(interval=8), checkpoint=dict(interval=24))
# Seeded, so the demo numbers in docs/detection.md reproduce (on CPU with
# OMP_NUM_THREADS=1; GPU kernels may still differ in the last digits).
randomness = dict(seed=0)
