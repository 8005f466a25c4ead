# DARTOpti from ResNet18 on CIFAR-10 (the paper's DO-1-ResNet18 search): 4
# cells sharing one gene (one alpha set), reductions 1, 2, 3, channels=32, 5
# weight-only pretraining epochs + 50 search epochs, distance-based early stop.
_base_ = [
    '../_base_/datasets/cifar10_search.py',
    '../_base_/search/dartopti_supernet.py',
    '../_base_/search/dartopti_runtime.py',
]
# Paper section 5.1: batch 128 on CIFAR with AMP:
#   python tools/train.py configs/search/dartopti_resnet18_c10.py --amp
# In fp32 use 64 or a bigger GPU.
batch_size = 128
# Peak memory of a search iteration: configs/search/README.md (tools/train.py
# checks it before starting; --auto-batch picks the largest batch that fits).
# workers re-created (and re-seeded) every epoch: reproducible augmentation
# draws, also after --resume (docs/search.md, Reproducibility)
train_dataloader = dict(batch_size=batch_size, persistent_workers=False)
arch_dataloader = dict(batch_size=batch_size, persistent_workers=False)
# One alpha set (all 4 cells share the ResNet18 gene): the ablation loss
# 1 - mc / mean(mc) is identically zero, and so is its gradient; skip its
# extra passes.
model = dict(
    architecture=dict(baseline='resnet18', num_classes=10, channels=32),
    arch_strategy=dict(ablation='none'))
auto_scale_lr = dict(base_batch_size=batch_size, enable=False)
