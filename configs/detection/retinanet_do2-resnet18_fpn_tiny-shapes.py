# Offline demo (CPU, about a minute): the RetinaNet / DO-2-ResNet18 config
# shrunk (C=8, FPN width 32) and trained from scratch on the tiny COCO-format
# shape set written by
#   python tools/misc/write_tiny_det_data.py --out data/tiny_coco
# See docs/detection.md.
_base_ = './retinanet_do2-resnet18_fpn_1x_coco.py'

data_root = 'data/tiny_coco/'
classes = ('rectangle', 'ellipse', 'triangle')
metainfo = dict(classes=classes)

model = dict(
    backbone=dict(channels=8, frozen_stages=-1, norm_eval=False,
                  init_cfg=None),
    # det_out_channels(do2-resnet18, 8) = [32, 64, 128, 256]
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=32),
    bbox_head=dict(num_classes=3, in_channels=32, feat_channels=32,
                   stacked_convs=2))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(128, 96), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 96), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor')),
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 filter_cfg=dict(filter_empty_gt=True, min_size=8),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator

# 24 images / batch 4 = 6 iterations per epoch.
train_cfg = dict(max_epochs=36, val_interval=12)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', begin=0, end=36, by_epoch=True,
         milestones=[28, 34], gamma=0.1)
]
# lr 0.01: with ResNet's strides (the /4 stem) 0.02 made the loss jump at
# epoch 11 (one earlier, unseeded run each: bbox mAP 0.129 at the end vs
# 0.209 with 0.01).
optim_wrapper = dict(optimizer=dict(lr=0.01), clip_grad=dict(max_norm=10))
default_hooks = dict(logger=dict(interval=6), checkpoint=dict(interval=36))
auto_scale_lr = dict(enable=False)
# Seeded, so the demo numbers in docs/detection.md reproduce (on CPU with
# OMP_NUM_THREADS=1; GPU kernels may still differ in the last digits).
randomness = dict(seed=0)
