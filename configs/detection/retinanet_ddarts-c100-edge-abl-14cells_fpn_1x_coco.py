# RetinaNet with a released D-DARTS genotype (CIFAR-100 search, edge parse,
# ablation loss) expanded to 14 cells, C=48: the ImageNet network of
# configs/train/ddarts-c100-edge-abl_14cells_in1k.py, whose checkpoint it
# fine-tunes on COCO for 12 epochs.
#
# Its ImageNet network uses DARTS' /8 stem (see that config for why), so the
# stage outputs (cells 3, 8, 13) have strides 8, 16, 32 and FPN starts at
# level 0 with two extra levels (strides 8..128). Every D-DARTS cell has its
# own gene, so widths vary per cell; the stages have 192, 384, 768 channels
# (tests/test_configs/test_det_configs.py checks them against the network).
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'

pretrained = 'work_dirs/train/ddarts-c100-edge-abl_14cells_in1k/epoch_250.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmddarts.DDartsDetBackbone',
        genotype='{{ fileDirname }}/../genotypes/ddarts_c100_edge_abl.json',
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
