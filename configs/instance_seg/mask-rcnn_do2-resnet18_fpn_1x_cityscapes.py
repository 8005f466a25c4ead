# Mask R-CNN with DO-2-ResNet18 on Cityscapes (mmdet's 8-epoch x 8-repeat
# schedule, 8 classes): the D-DARTS paper's section 5.7 / Table 7.
#
# With D-DARTS' ImageNet stem (/4, as in ../train/do2-resnet18_in1k.py) the
# backbone's stages have ResNet-50's strides 4, 8, 16, 32 and widths 256, 512,
# 1024, 2048 at C=64, so mmdet's Mask R-CNN R50-FPN neck, RPN anchors (strides
# 4..64) and RoI extractors (strides 4..32) are used unchanged.
_base_ = 'mmdet::cityscapes/mask-rcnn_r50_fpn_1x_cityscapes.py'

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

# mmdet's base starts from a COCO Mask R-CNN R50 checkpoint, which does not
# fit this backbone: the ImageNet backbone weights above are used instead.
load_from = None
