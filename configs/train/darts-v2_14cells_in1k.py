# DARTS_V2 on ImageNet as in DARTS' train_imagenet.py: 14 cells, C=48,
# DARTS' ImageNet stem (/8), label smoothing 0.1, aux 0.4, 250 epochs (the
# recipe of ./ddarts-c100-edge-abl_14cells_in1k.py). 4.7M parameters as DARTS
# reports; 537 MFLOPs at 224x224 by tools/analysis_tools/get_flops.py (DARTS
# prints 574M, counted with another tool). Its checkpoint is what
# configs/detection/retinanet_darts-v2_fpn_1x_coco.py loads.
_base_ = ['./ddarts-c100-edge-abl_14cells_in1k.py']

model = dict(
    backbone=dict(
        genotype='configs/genotypes/darts-v2.json', channels=48,
        num_cells=14, stem='imagenet'))
