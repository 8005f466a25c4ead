# DARTS + ACA (docs/aca.md): the genotype written by
#   python tools/train.py configs/search/aca-darts_c10.py
# (work_dirs/aca-darts_c10/genotype_aca_final.json: DARTS cells searched
# without skip_connect, each op's unimportant channels refilled with
# identity) trained as DARTS trains its cells: 20 cells, C=36, CIFAR-10,
# 600 epochs, drop path per op (skipping identities). The allocations are
# width-free (fractions and channel ranks), so the cell searched at C=16
# builds at C=36; an ACA edge's op runs on its important channels only.
_base_ = [
    '../_base_/models/ddarts_cifar.py',
    '../_base_/datasets/cifar10.py',
    '../_base_/schedules/cifar_600e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        genotype='work_dirs/aca-darts_c10/genotype_aca_final.json',
        channels=36,
        num_cells=20,
        drop_path_mode='edge'),
    head=dict(num_classes=10),
    aux_head=dict(num_classes=10))
