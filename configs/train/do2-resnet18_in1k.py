# DO-2-ResNet18 (searched on CIFAR-100) transferred to ImageNet with the
# DARTS ImageNet recipe of ./ddarts-c100-edge-abl_14cells_in1k.py: C=64,
# 4 cells (reductions 1, 2, 3), label smoothing 0.1, 250 epochs.
#
# Stem: D-DARTS' own ImageNet stem ('ddarts_imagenet', aheuillet/D-DARTS
# model.py NetworkImageNet: stem0's second conv has stride 1, cells start at
# /4 like ResNet's layer1). It reproduces the paper's Table 5: 53.4M
# parameters and 8,619 MFLOPs at 224x224 (paper 8,619M); DARTS' /8 stem gives
# 2,302M. The auxiliary head sits after the last reduction cell (cell 3, 7x7
# at 224), where the reference attaches it; cell 2 is 14x14 with this stem.
# Its checkpoint is what configs/detection and configs/instance_seg load.
_base_ = ['./ddarts-c100-edge-abl_14cells_in1k.py']

model = dict(
    backbone=dict(
        genotype='configs/genotypes/do2-resnet18_c100.json',
        channels=64,
        num_cells=4,
        stem='ddarts_imagenet',
        aux_index=3))
