# DARTS (first order) baseline on CIFAR-10: shared normal/reduction alphas,
# softmax over the 7 ops plus 'none', no zero-one or ablation loss, darts
# parsing (top-2 edges, argmax op without 'none'). DARTS' own hyper-parameters:
# weights SGD 0.025 -> 0.001, alphas Adam 3e-4 betas (0.5, 0.999) wd 1e-3,
# batch 64, 50 epochs.
_base_ = [
    '../_base_/datasets/cifar10_search.py',
    '../_base_/search/ddarts_supernet.py',
    '../_base_/search/search_schedule.py',
    '../_base_/search/search_runtime.py',
]
batch_size = 64
# Peak memory of one search iteration, CPU fp32 (tools/analysis_tools/
# estimate_memory.py, torch 2.14.1, 1 thread; tools/train.py checks it
# before starting, --auto-batch picks the largest batch that fits):
#   9.1 GiB at batch 64 (141 MiB + 143 MiB per image). GPU / AMP: not
#   measured yet.
# workers re-created (and re-seeded) every epoch: reproducible augmentation
# draws, also after --resume (docs/search.md, Reproducibility)
train_dataloader = dict(batch_size=batch_size, persistent_workers=False)
arch_dataloader = dict(batch_size=batch_size, persistent_workers=False)
model = dict(
    architecture=dict(
        num_classes=10, C=16, num_cells=8, alpha_mode='shared',
        mixing='softmax'),
    w01=0.0,
    w_abl=0.0,
    ablation='none',
    parse_methods=('darts', ))
optim_wrapper = dict(
    architecture=dict(
        optimizer=dict(lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)),
    weights=dict(optimizer=dict(lr=0.025)))
param_scheduler = dict(
    architecture=[dict(type='ConstantLR', factor=1.0, by_epoch=True)],
    weights=[
        dict(type='CosineAnnealingLR', eta_min=1e-3, by_epoch=True, begin=0)
    ])
