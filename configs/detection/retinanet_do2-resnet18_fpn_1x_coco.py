# RetinaNet with DO-2-ResNet18 (DARTOpti's ResNet18 searched on CIFAR-100,
# trained on ImageNet) on COCO, 12 epochs: the D-DARTS paper's section 5.7 /
# Table 6 (box AP 34.2).
#
# Backbone: D-DARTS' ImageNet stem (/4, as in ../train/do2-resnet18_in1k.py)
# and the genotype's 4 cells (reductions 1, 2, 3), one cell per stage ->
# ResNet-50's strides 4, 8, 16, 32 and widths 256, 512, 1024, 2048 at C=64
# (see docs/detection.md). So mmdet's RetinaNet R50-FPN neck and head are used
# unchanged: FPN from level 1 plus two extra levels (on_input), strides
# 8..128, RetinaHead's anchor strides.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'

# An ImageNet DDartsImageClassifier checkpoint of the same genotype, C and
# stem ("backbone." keys are used, heads ignored). Train from scratch with
# --cfg-options model.backbone.init_cfg=None
pretrained = 'work_dirs/train/do2-resnet18_in1k/epoch_250.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmddarts.DDartsDetBackbone',
        genotype='{{ fileDirname }}/../genotypes/do2-resnet18_c100.json',
        channels=64,
        stem='ddarts_imagenet',
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
# neck: the base's FPN(in_channels=[256, 512, 1024, 2048], start_level=1,
# add_extra_convs='on_input', num_outs=5) fits as it is.
