# FairDARTS search on Fashion-MNIST, one input channel: one normal and one
# reduction alpha set shared by all cells, sigmoid mixing without 'none',
# zero-one loss w01 10 (joint mean over both sets), no ablation loss;
# parsed with the threshold (sparse / edge) and darts. Same CPU-sized
# supernet, data and epochs as configs/search/ddarts_fmnist.py:
#   OMP_NUM_THREADS=1 python tools/train.py configs/search/fairdarts_fmnist.py
# FairDARTS' own hyper-parameters (configs/search/fairdarts_c10.py) except
# batch 64 (as the other fmnist searches) and the architecture learning
# rate, 0.1 with a cosine to 0.02 instead of a constant 3e-3 (~16 steps per
# epoch would leave sigmoid(alpha) near 0.5, under the 0.85 threshold).
# Paper scale: whole split at 28x28 (search_num_samples = None,
# search_image_size = None), channels=16, 8 cells, 4 nodes, batch 128, 50
# epochs, arch Adam lr 3e-3 constant.
_base_ = [
    '../_base_/datasets/fashion_mnist_search.py',
    '../_base_/search/ddarts_supernet.py',
    '../_base_/search/search_schedule.py',
    '../_base_/search/search_runtime.py',
]
work_dir = 'work_dirs/search/fairdarts_fmnist'
max_epochs = 4
batch_size = 64
train_dataloader = dict(batch_size=batch_size)
arch_dataloader = dict(batch_size=batch_size)
model = dict(
    architecture=dict(
        num_classes=10, channels=8, num_cells=5, steps=3, in_channels=1,
        alpha_mode='shared', mixing='sigmoid', zero_one_reduction='joint'),
    arch_strategy=dict(w01=10.0, w_abl=0.0, ablation='none'))
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=10))
optim_wrapper = dict(architecture=dict(optimizer=dict(lr=0.1)))
param_scheduler = dict(
    architecture=[
        dict(type='CosineAnnealingLR', eta_min=0.02, by_epoch=True, begin=0)
    ],
    weights=[
        dict(type='CosineAnnealingLR', eta_min=1e-3, by_epoch=True, begin=0)
    ])
