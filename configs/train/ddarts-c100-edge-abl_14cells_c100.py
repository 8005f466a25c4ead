# A released 8-cell D-DARTS genotype (CIFAR-100, edge parse, ablation loss)
# grown to 14 cells with Algorithm 1 (reductions at 14//3 and 28//3), C=36,
# trained on CIFAR-100.
_base_ = [
    '../_base_/models/ddarts_cifar.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar_600e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        genotype='configs/genotypes/ddarts_c100_edge_abl.json',
        channels=36,
        num_cells=14),
    head=dict(num_classes=100),
    aux_head=dict(num_classes=100))
