# DARTOpti from Xception on CIFAR-10 (the paper's DO-1-Xception search): 13
# cells, reductions 1, 2, 11, 12, genes seq [0,0,0,1 x8,0,2] (3 alpha sets),
# channels=32, 5 pretraining + 50 search epochs, early stop.
_base_ = [
    '../_base_/datasets/cifar10_search.py',
    '../_base_/search/dartopti_supernet.py',
    '../_base_/search/dartopti_runtime.py',
]
# Paper section 5.1: batch 128 on CIFAR with AMP:
#   python tools/train.py configs/search/dartopti_xception_c10.py --amp
# In fp32 use 64 or a bigger GPU.
batch_size = 128
# Peak memory of a search iteration: configs/search/README.md (tools/train.py
# checks it before starting; --auto-batch picks the largest batch that fits).
# workers re-created (and re-seeded) every epoch: reproducible augmentation
# draws, also after --resume (docs/search.md, Reproducibility)
train_dataloader = dict(batch_size=batch_size, persistent_workers=False)
arch_dataloader = dict(batch_size=batch_size, persistent_workers=False)
model = dict(
    architecture=dict(baseline='xception', num_classes=10, channels=32))
auto_scale_lr = dict(base_batch_size=batch_size, enable=False)
