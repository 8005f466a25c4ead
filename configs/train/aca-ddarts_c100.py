# D-DARTS + ACA (docs/aca.md): work_dirs/aca-ddarts_c100/
# genotype_aca_final.json (python tools/train.py
# configs/search/aca-ddarts_c100.py) grown to 14 cells with Algorithm 1
# (every searched cell's allocation goes with its gene), C=36, CIFAR-100.
_base_ = [
    '../_base_/models/ddarts_cifar.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar_600e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        genotype='work_dirs/aca-ddarts_c100/genotype_aca_final.json',
        channels=36,
        num_cells=14),
    head=dict(num_classes=100),
    aux_head=dict(num_classes=100))
