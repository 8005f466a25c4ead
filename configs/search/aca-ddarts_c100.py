# D-DARTS + ACA on CIFAR-100 (docs/aca.md): the released D-DARTS search
# (ddarts_c100.py: individual alphas, sigmoid, w01 7, w_abl 0.5) without
# skip_connect ('darts_noskip'), then ACA's channel allocation of the
# 'sparse' genotype, every cell its own (genotype_aca_final.json, trained by
# configs/train/aca-ddarts_c100.py).
_base_ = ['./ddarts_c100.py']
model = dict(architecture=dict(op_set='darts_noskip'))
aca = dict(
    importance='output',
    allocator='otsu',
    calib_batches=10,
    seed=0,
    parse_method='sparse')
