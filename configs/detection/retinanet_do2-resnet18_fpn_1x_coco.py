# RetinaNet with DO-2-ResNet18 (DARTOpti's ResNet18 searched on CIFAR-100,
# trained on ImageNet) on COCO, 12 epochs: the D-DARTS paper's section 5.7 /
# Table 6 (box AP 34.2).
#
# Backbone: ImageNet stem (/8) and the genotype's 4 cells (reductions 1, 2, 3),
# one cell per stage -> strides 8, 16, 32, 64 and 256, 512, 1024, 2048
# channels at C=64 (see docs/detection.md). FPN therefore starts at level 0 and
# adds one extra level (on_input): strides 8..128, RetinaHead's anchor strides.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'

# An ImageNet DDartsImageClassifier checkpoint of the same genotype and C
# ("backbone." keys are used, heads ignored). Train from scratch with
# --cfg-options model.backbone.init_cfg=None
pretrained = 'work_dirs/do2-resnet18_in1k/epoch_250.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmddarts.DDartsDetBackbone',
        genotype='{{ fileDirname }}/../genotypes/do2-resnet18_c100.json',
        channels=64,
        stem='imagenet',
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(
        in_channels=[256, 512, 1024, 2048],
        start_level=0,
        add_extra_convs='on_input',
        num_outs=5))
