# DARTS (second order) cell, 20 cells, C=36, CIFAR-10: the published 3.3M
# network (3,349,342 parameters without the auxiliary head, exactly as DARTS'
# train.py prints). Drop path per op, skipping identities, as DARTS' code.
_base_ = [
    '../_base_/models/ddarts_cifar.py',
    '../_base_/datasets/cifar10.py',
    '../_base_/schedules/cifar_600e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        genotype='configs/genotypes/darts-v2.json',
        channels=36,
        num_cells=20,
        drop_path_mode='edge'),
    head=dict(num_classes=10),
    aux_head=dict(num_classes=10))
