# DARTS + ACA on the offline digits demo: the digits supernet and data of
# ddarts_digits.py (4 cells, C=8, 3 nodes, 16x16) searched the DARTS way
# (darts_c10.py: shared normal / reduction alphas, softmax with 'none', no
# zero-one or ablation loss, darts parsing, weights SGD 0.025, alphas Adam
# betas (0.5, 0.999) wd 1e-3, constant lr) without skip_connect, then ACA's
# channel allocation
# (genotype_aca_final.json; configs/train/aca-darts_digits.py trains it).
# The DARTS baseline of the same setting (docs/aca.md, the grid):
#   --cfg-options model.architecture.op_set=darts aca=None
_base_ = ['./ddarts_digits.py']
model = dict(
    architecture=dict(
        alpha_mode='shared', mixing='softmax', op_set='darts_noskip',
        zero_one_reduction='joint'),
    arch_strategy=dict(w01=0.0, w_abl=0.0, ablation='none'),
    parse_methods=('darts', ))
# alphas lr: DARTS' 3e-4 scaled by its steps per epoch (CIFAR-10 batch 64:
# 390; here 11), so an epoch moves the alphas as far as one of DARTS'.
optim_wrapper = dict(
    architecture=dict(
        optimizer=dict(lr=1e-2, betas=(0.5, 0.999), weight_decay=1e-3),
        clip_grad=dict(max_norm=10.0)),
    weights=dict(optimizer=dict(lr=0.025)))
param_scheduler = dict(
    architecture=[dict(type='ConstantLR', factor=1.0, by_epoch=True)],
    _delete_=True,
    weights=[
        dict(type='CosineAnnealingLR', eta_min=1e-3, by_epoch=True, begin=0)
    ])
aca = dict(
    importance='output',
    allocator='otsu',
    calib_batches=4,
    seed=0,
    parse_method='darts')
