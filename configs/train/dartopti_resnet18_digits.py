# Offline demo, step 2: train the network found by
# configs/search/dartopti_resnet18_digits.py (its sparse genotype, written to
# the search's default work dir) on scikit-learn's digits, C=16, the 4 cells
# of the genotype. Searched on 8x8 digits, trained on 32x32 ones, as DARTS
# transfers CIFAR cells to ImageNet (the auxiliary head reads the last
# reduction cell: 4x4 after three reductions, averaged to 2x2). Run the
# search first, or point genotype at any genotype file
# (configs/genotypes/baseline-resnet18.json trains the starting ResNet18 for
# comparison):
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/train/dartopti_resnet18_digits.py
_base_ = ['./ddarts_digits.py']

model = dict(
    backbone=dict(
        genotype='work_dirs/search/dartopti_resnet18_digits/'
        'genotype_sparse_final.json',
        channels=16,
        num_cells=None))
