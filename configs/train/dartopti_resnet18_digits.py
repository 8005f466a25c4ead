# Offline demo, step 2: train the network found by
# configs/search/dartopti_resnet18_digits.py (its sparse genotype, written to
# the search's default work dir) on scikit-learn's digits at their native
# 8x8 resolution, C=16, 4 cells. Run the search first, or point genotype at
# any genotype file (e.g. configs/genotypes/baseline-resnet18.json to train
# the starting ResNet18 for comparison):
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/train/dartopti_resnet18_digits.py
_base_ = ['./ddarts_digits.py']

image_size = 8
train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=image_size, padding=1),
    dict(type='mmpretrain.PackInputs'),
]
model = dict(
    backbone=dict(
        genotype='work_dirs/dartopti_resnet18_digits/'
        'genotype_sparse_final.json',
        channels=16,
        num_cells=None))
train_dataloader = dict(
    dataset=dict(image_size=image_size, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(image_size=image_size))
test_dataloader = val_dataloader
