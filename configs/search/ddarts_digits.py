# Offline D-DARTS search demo on scikit-learn's handwritten digits (no
# download): 4 individual cells (reductions at 1 and 2), channels=8, 3 nodes
# per cell, 16x16 images, batch 64, 4 epochs. Same losses and schedule shape as
# the CIFAR search, 12 search steps per epoch (time: configs/search/
# README.md):
#   OMP_NUM_THREADS=1 python tools/train.py configs/search/ddarts_digits.py
# (on a shared 2-core machine one intra-op thread is much faster than two.)
_base_ = [
    '../_base_/datasets/digits_search.py',
    '../_base_/search/ddarts_supernet.py',
    '../_base_/search/search_schedule.py',
    '../_base_/search/search_runtime.py',
]
max_epochs = 4
batch_size = 64
# Peak memory of a search iteration: configs/search/README.md (tools/train.py
# checks it before starting; --auto-batch picks the largest batch that fits).
image_size = 16
search_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=image_size, padding=1),
    dict(type='mmpretrain.PackInputs'),
]
# In-memory data: worker processes would only compete for the two cores.
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        dataset=dict(image_size=image_size, pipeline=search_pipeline)))
arch_dataloader = dict(
    batch_size=batch_size,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        dataset=dict(image_size=image_size, pipeline=search_pipeline)))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(image_size=image_size))
test_dataloader = val_dataloader
model = dict(
    architecture=dict(num_classes=10, channels=8, num_cells=4, steps=3),
    # exact searched worse (configs/search/README.md)
    arch_strategy=dict(w01=7.0, w_abl=0.5, ablation='reference'))
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=10))
# The demo has ~11 architecture steps per epoch against CIFAR's ~195: at
# 3e-3 the alphas barely leave sigmoid = 0.5 in 4 epochs and the 0.85
# threshold of the sparse/edge parses keeps almost nothing. A larger
# architecture learning rate lets the short search actually decide.
optim_wrapper = dict(architecture=dict(optimizer=dict(lr=0.1)))
param_scheduler = dict(
    architecture=[
        dict(type='CosineAnnealingLR', eta_min=0.02, by_epoch=True, begin=0)
    ],
    weights=[
        dict(type='CosineAnnealingLR', eta_min=1e-3, by_epoch=True, begin=0)
    ])
