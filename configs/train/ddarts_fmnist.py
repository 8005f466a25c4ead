# Train a searched (or random) network on Fashion-MNIST, one input channel,
# images padded to 32x32; standard augmentation: random crop (padding 4) and
# horizontal flip. Tested on the 10,000 test images after the last epoch
# only (val_interval = max_epochs: no choice is made on the test split).
#   OMP_NUM_THREADS=1 python tools/train.py configs/train/ddarts_fmnist.py \
#       --cfg-options \
#       model.backbone.genotype=<search>/genotype_sparse_final.json
# CPU-sized default: C=16, as many cells as the genotype, 10,000 training
# images (stratified subset), 5 epochs. Random erasing (Zhong et al.; the
# data set's README: WRN-28-10 95.9 -> 96.3 %) is the option
# configs/train/ddarts_fmnist_erasing.py.
# Paper scale (a GPU): all 60,000 images (num_samples=None), C=36, 20 cells
# (model.backbone.num_cells=20, Algorithm 1), 600 epochs, batch 96, SGD
# 0.025 cosine, drop path 0.2, auxiliary weight 0.4, random erasing on.
_base_ = [
    '../_base_/models/ddarts_cifar.py',
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/default_runtime.py',
]
work_dir = 'work_dirs/train/ddarts_fmnist'
model = dict(
    backbone=dict(
        genotype='configs/genotypes/ddarts_c10_sparse.json',
        channels=16,
        num_cells=None,
        in_channels=1),
    head=dict(num_classes=10, topk=(1, )),
    aux_head=dict(num_classes=10))

train_num_samples = 10000
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(num_samples=train_num_samples))
val_dataloader = dict(batch_size=256, num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader

max_epochs = 5
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=3e-4),
    clip_grad=dict(max_norm=5.0))
param_scheduler = dict(
    type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=0)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs,
                 val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    logger=dict(interval=20),
    # no save_best: validation runs on the test split
    checkpoint=dict(interval=1, max_keep_ckpts=1))
randomness = dict(seed=0)
