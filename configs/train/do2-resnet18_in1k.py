# DO-2-ResNet18 (searched on CIFAR-100) transferred to ImageNet with the
# DARTS ImageNet recipe of ./ddarts-c100-edge-abl_14cells_in1k.py: C=64,
# 4 cells (reductions 1, 2, 3), ImageNet stem, label smoothing 0.1, 250 epochs.
# Its checkpoint is what configs/detection and configs/instance_seg load.
_base_ = ['./ddarts-c100-edge-abl_14cells_in1k.py']

model = dict(
    backbone=dict(
        genotype='configs/genotypes/do2-resnet18_c100.json',
        channels=64,
        num_cells=4))
