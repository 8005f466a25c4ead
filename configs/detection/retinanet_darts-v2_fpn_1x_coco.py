# RetinaNet with DARTS_V2 cells (DARTS' ImageNet network: 14 cells, C=48, by
# Algorithm 1 from the 8-cell genotype) on COCO, 12 epochs: the DARTS
# baseline of the D-DARTS paper's Table 6.
#
# DARTS' own ImageNet stem (/8, as DARTS' NetworkImageNet and
# ../train/darts-v2_14cells_in1k.py): 14 cells, reductions 4 and 9 -> 3
# stages, strides 8, 16, 32 and 192, 384, 768 channels; FPN from level 0 plus
# two extra levels: strides 8..128, RetinaHead's anchor strides.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'

# ImageNet checkpoint of DDartsNet(darts-v2, C=48, 14 cells, imagenet stem).
pretrained = 'work_dirs/train/darts-v2_14cells_in1k/epoch_250.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmddarts.DDartsDetBackbone',
        genotype='{{ fileDirname }}/../genotypes/darts-v2.json',
        channels=48,
        num_cells=14,
        stem='imagenet',  # DARTS' /8 stem, as its ImageNet checkpoint
        out_indices=(0, 1, 2),
        frozen_stages=1,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(
        in_channels=[192, 384, 768],
        start_level=0,
        add_extra_convs='on_input',
        num_outs=5))
