# DARTS + ACA on CIFAR-10 (docs/aca.md): DARTS' first-order search
# (darts_c10.py, every hyper-parameter DARTS' own) in the space without
# skip_connect ('darts_noskip': 'none' + 6 ops, softmax), parsed as DARTS
# does (top-2 edges, argmax op). At the end GenotypeExportHook ranks each
# kept edge's channels on the trained supernet and refills the unimportant
# ones with identity: <work_dir>/genotype_aca_final.json, trained by
# configs/train/aca-darts_c10.py. The same from any search checkpoint:
#   python tools/aca_allocate.py configs/search/aca-darts_c10.py CKPT \
#       --out genotype_aca.json [--importance taylor] [--allocator ...]
_base_ = ['./darts_c10.py']
model = dict(architecture=dict(op_set='darts_noskip'))
# ACA's choices (all ours, docs/aca.md): importance 'output' (E|w_o o(x)_c|),
# 'taylor' or 'bn_gamma' (needs model.architecture.op_affine=True);
# allocator 'otsu' (2-means split), 'proportional' (op weight share) or
# 'fixed_ratio' (ABLATION: PC-DARTS' 1/K); calibration on calib_batches
# batches of the architecture split, seeded; parse_method: the genotype
# allocated (default: the model's first parse method).
aca = dict(
    importance='output',
    allocator='otsu',
    calib_batches=10,
    seed=0,
    parse_method='darts')
