# DARTS (first order) search on Fashion-MNIST, one input channel: shared
# normal / reduction alphas, softmax over the 7 ops plus 'none', no
# zero-one or ablation loss, darts parsing. Same CPU-sized supernet, data
# and epochs as configs/search/ddarts_fmnist.py, so the two compare at the
# same budget:
#   OMP_NUM_THREADS=1 python tools/train.py configs/search/darts_fmnist.py
# DARTS' own hyper-parameters (configs/search/darts_c10.py) except the
# architecture learning rate: 3e-4 over ~16 steps per epoch would leave the
# alphas at their random init (the parse would be a random architecture);
# 0.1 with a cosine to 0.02, as the other two fmnist searches.
# Paper scale: whole split at 28x28 (search_num_samples = None,
# search_image_size = None), channels=16, 8 cells, 4 nodes, 50 epochs, arch
# Adam lr 3e-4 constant, weights SGD 0.025 -> 0.001.
_base_ = [
    '../_base_/datasets/fashion_mnist_search.py',
    '../_base_/search/ddarts_supernet.py',
    '../_base_/search/search_schedule.py',
    '../_base_/search/search_runtime.py',
]
work_dir = 'work_dirs/search/darts_fmnist'
max_epochs = 4
batch_size = 64
train_dataloader = dict(batch_size=batch_size)
arch_dataloader = dict(batch_size=batch_size)
model = dict(
    architecture=dict(
        num_classes=10, channels=8, num_cells=5, steps=3, in_channels=1,
        alpha_mode='shared', mixing='softmax'),
    arch_strategy=dict(w01=0.0, w_abl=0.0, ablation='none'),
    parse_methods=('darts', ))
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=10))
optim_wrapper = dict(
    architecture=dict(
        optimizer=dict(lr=0.1, betas=(0.5, 0.999), weight_decay=1e-3),
        clip_grad=dict(max_norm=10.0)),
    weights=dict(optimizer=dict(lr=0.025)))
param_scheduler = dict(
    architecture=[
        dict(type='CosineAnnealingLR', eta_min=0.02, by_epoch=True, begin=0)
    ],
    weights=[
        dict(type='CosineAnnealingLR', eta_min=1e-3, by_epoch=True, begin=0)
    ])
