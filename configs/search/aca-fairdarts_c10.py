# FairDARTS + ACA on CIFAR-10 (docs/aca.md): FairDARTS' search
# (fairdarts_c10.py: shared alphas, sigmoid, zero-one loss) without
# skip_connect ('darts_noskip'), then ACA's channel allocation of the
# 'sparse' genotype at the end of the search (genotype_aca_final.json,
# trained by configs/train/aca-fairdarts_c10.py).
_base_ = ['./fairdarts_c10.py']
model = dict(architecture=dict(op_set='darts_noskip'))
aca = dict(
    importance='output',
    allocator='otsu',
    calib_batches=10,
    seed=0,
    parse_method='sparse')
