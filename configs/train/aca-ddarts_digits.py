# Offline demo of D-DARTS + ACA (docs/aca.md): the genotype of
#   python tools/train.py configs/search/aca-ddarts_digits.py
# trained like configs/train/ddarts_digits.py (C=8, 4 cells, 4 epochs).
_base_ = ['./ddarts_digits.py']
model = dict(
    backbone=dict(
        genotype='work_dirs/aca-ddarts_digits/genotype_aca_final.json'))
