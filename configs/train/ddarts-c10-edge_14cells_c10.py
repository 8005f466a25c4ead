# A released 8-cell D-DARTS genotype (CIFAR-10, edge parse) grown to 14 cells
# with Algorithm 1 (reductions at 14//3 and 28//3), C=36, trained on CIFAR-10.
# The 8-cell network: --cfg-options model.backbone.num_cells=8
_base_ = [
    '../_base_/models/ddarts_cifar.py',
    '../_base_/datasets/cifar10.py',
    '../_base_/schedules/cifar_600e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        genotype='configs/genotypes/ddarts_c10_edge.json',
        channels=36,
        num_cells=14),
    head=dict(num_classes=10),
    aux_head=dict(num_classes=10))
