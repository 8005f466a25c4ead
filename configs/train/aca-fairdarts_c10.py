# FairDARTS + ACA (docs/aca.md): work_dirs/aca-fairdarts_c10/
# genotype_aca_final.json (python tools/train.py
# configs/search/aca-fairdarts_c10.py) trained as DARTS trains its cells:
# 20 cells, C=36, CIFAR-10, 600 epochs.
_base_ = ['./aca-darts_c10.py']
model = dict(
    backbone=dict(
        genotype='work_dirs/aca-fairdarts_c10/genotype_aca_final.json'))
