# Offline demo of DARTS + ACA (docs/aca.md): the genotype of
#   python tools/train.py configs/search/aca-darts_digits.py
# trained like configs/train/ddarts_digits.py (C=8, the searched 4 cells,
# 4 epochs on the digits).
_base_ = ['./ddarts_digits.py']
model = dict(
    backbone=dict(
        genotype='work_dirs/aca-darts_digits/genotype_aca_final.json'))
