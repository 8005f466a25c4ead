# DARTOpti from ResNet50 on CIFAR-100 (the paper's DO-2-ResNet50 search): 4
# cells of 6 steps, genes seq [0, 1, 2, 0] (3 alpha sets: cells 0 and 3 share
# one), reductions 1, 2, 3, channels=32, 5 pretraining + 50 search epochs,
# early stop.
_base_ = [
    '../_base_/datasets/cifar100_search.py',
    '../_base_/search/dartopti_supernet.py',
    '../_base_/search/dartopti_runtime.py',
]
# Paper section 5.1: batch 128 on CIFAR with AMP:
#   python tools/train.py configs/search/dartopti_resnet50_c100.py --amp
# In fp32 use 64 or a bigger GPU.
batch_size = 128
# Peak memory of a search iteration: configs/search/README.md (tools/train.py
# checks it before starting; --auto-batch picks the largest batch that fits).
# workers re-created (and re-seeded) every epoch: reproducible augmentation
# draws, also after --resume (docs/search.md, Reproducibility)
train_dataloader = dict(batch_size=batch_size, persistent_workers=False)
arch_dataloader = dict(batch_size=batch_size, persistent_workers=False)
model = dict(
    architecture=dict(baseline='resnet50', num_classes=100, channels=32))
auto_scale_lr = dict(base_batch_size=batch_size, enable=False)
