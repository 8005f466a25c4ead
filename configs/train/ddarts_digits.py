# Offline demo: a small D-DARTS network (C=8) trained on scikit-learn's
# handwritten digits (32x32, 10 classes), built with as many cells as its
# genotype has (num_cells=None): a 4-cell digits search
# (configs/search/ddarts_digits.py) trains as 4 cells, a few minutes on 2 CPU
# cores. The default genotype is the released CIFAR-10 sparse one (8 cells);
# pass model.backbone.genotype=<search work dir>/genotype_sparse_final.json,
# and model.backbone.num_cells=N only to resize it with Algorithm 1 (a
# smaller N drops searched cells, with a warning).
_base_ = [
    '../_base_/models/ddarts_cifar.py',
    '../_base_/datasets/digits.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        genotype='configs/genotypes/ddarts_c10_sparse.json',
        channels=8,
        num_cells=None),
    head=dict(num_classes=10, topk=(1, )),
    aux_head=dict(num_classes=10))

train_dataloader = dict(batch_size=32, num_workers=0, persistent_workers=False)
val_dataloader = dict(batch_size=64, num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator

max_epochs = 4
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=3e-4),
    clip_grad=dict(max_norm=5.0))
param_scheduler = dict(
    # No T_max/end: the Runner sets end = max_epochs and T_max = end - begin,
    # so `--cfg-options train_cfg.max_epochs=N` rescales the cosine too.
    type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=0)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(interval=10),
    # no save_best: validation runs on the digits test split
    checkpoint=dict(interval=1, max_keep_ckpts=1))
randomness = dict(seed=0)
