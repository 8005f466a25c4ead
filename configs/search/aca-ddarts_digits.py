# D-DARTS + ACA on the offline digits demo (ddarts_digits.py: 4 individual
# cells, C=8, 4 epochs) without skip_connect, ACA-allocated 'sparse'
# genotype at the end (genotype_aca_final.json; configs/train/
# aca-ddarts_digits.py trains it). docs/aca.md.
_base_ = ['./ddarts_digits.py']
model = dict(architecture=dict(op_set='darts_noskip'))
aca = dict(
    importance='output',
    allocator='otsu',
    calib_batches=4,
    seed=0,
    parse_method='sparse')
