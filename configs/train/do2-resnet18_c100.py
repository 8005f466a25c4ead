# DO-2-ResNet18: DARTOpti's ResNet18 searched on CIFAR-100 (sparse parse),
# 4 cells, C=64, CIFAR-100: 51,521,828 parameters without the auxiliary
# head (paper, Table 4: 51.52M). The auxiliary head reads cell 3, the last
# reduction cell, as in the authors' model.py (4x4 on CIFAR: averaged to
# 2x2), so their checkpoints with the head load strictly.
_base_ = [
    '../_base_/models/ddarts_cifar.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar_600e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        genotype='configs/genotypes/do2-resnet18_c100.json', channels=64),
    head=dict(num_classes=100),
    aux_head=dict(num_classes=100))
