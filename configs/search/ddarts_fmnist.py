# D-DARTS search on Fashion-MNIST (`apt-get install dataset-fashion-mnist`),
# one input channel. CPU-sized by default: 5 individual cells (reductions 1
# and 3), C=8, 3 nodes per cell, 2,000 training images (1,000 for the
# weights, 1,000 for the alphas) at 16x16, batch 64, 4 epochs:
#   OMP_NUM_THREADS=1 python tools/train.py configs/search/ddarts_fmnist.py
# Paper scale (a GPU): the whole split at 28x28, 8 cells, C=16, 4 nodes,
# 50 epochs, the arch learning rate of the CIFAR search:
#   --cfg-options search_num_samples=None ... is not enough (variables are
#   substituted when the file is read); edit a copy instead:
#   search_num_samples = None; search_image_size = None
#   model.architecture: C=16, num_cells=8, steps=4; max_epochs = 50
#   optim_wrapper.architecture.optimizer.lr = 3e-3 (cosine to 1e-3)
_base_ = [
    '../_base_/datasets/fashion_mnist_search.py',
    '../_base_/search/ddarts_supernet.py',
    '../_base_/search/search_schedule.py',
    '../_base_/search/search_runtime.py',
]
work_dir = 'work_dirs/search/ddarts_fmnist'
max_epochs = 4
batch_size = 64
train_dataloader = dict(batch_size=batch_size)
arch_dataloader = dict(batch_size=batch_size)
model = dict(
    architecture=dict(
        num_classes=10, C=8, num_cells=5, steps=3, in_channels=1),
    w01=7.0,
    w_abl=0.5,
    ablation='reference')
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=10))
# ~16 architecture steps per epoch against CIFAR's ~195: at 3e-3 the alphas
# barely leave sigmoid = 0.5 and the 0.85 threshold keeps almost nothing
# (as in the digits demo, configs/search/ddarts_digits.py).
optim_wrapper = dict(architecture=dict(optimizer=dict(lr=0.1)))
param_scheduler = dict(
    architecture=[
        dict(type='CosineAnnealingLR', eta_min=0.02, by_epoch=True, begin=0)
    ],
    weights=[
        dict(type='CosineAnnealingLR', eta_min=1e-3, by_epoch=True, begin=0)
    ])
