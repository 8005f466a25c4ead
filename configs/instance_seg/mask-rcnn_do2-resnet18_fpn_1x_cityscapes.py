# Mask R-CNN with DO-2-ResNet18 on Cityscapes (mmdet's 8-epoch x 8-repeat
# schedule, 8 classes): the D-DARTS paper's section 5.7 / Table 7.
#
# The backbone's stages have strides 8, 16, 32, 64 (ImageNet stem /8, three
# reduction cells), not ResNet's 4..32: FPN outputs strides 8..128, so the RPN
# anchors use strides 8..128 with scale 4 (anchor sizes 32..512, the same as
# mmdet's R50 setting of scale 8 on strides 4..64) and the RoI extractors read
# strides 8..64.
_base_ = 'mmdet::cityscapes/mask-rcnn_r50_fpn_1x_cityscapes.py'

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
    neck=dict(in_channels=[256, 512, 1024, 2048], start_level=0, num_outs=5),
    rpn_head=dict(
        anchor_generator=dict(scales=[4], strides=[8, 16, 32, 64, 128])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[8, 16, 32, 64]),
        mask_roi_extractor=dict(featmap_strides=[8, 16, 32, 64])))

# mmdet's base starts from a COCO Mask R-CNN R50 checkpoint, which does not
# fit this backbone: the ImageNet backbone weights above are used instead.
load_from = None
