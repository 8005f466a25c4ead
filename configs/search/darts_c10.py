# DARTS (first order) baseline on CIFAR-10: shared normal/reduction alphas,
# softmax over the 7 ops plus 'none', no zero-one or ablation loss, darts
# parsing (top-2 edges, argmax op without 'none').
# Every hyper-parameter is DARTS' own, read from quark0/darts
# cnn/train_search.py (commit 4bfe432, argparse defaults) and
# cnn/architect.py (commit 8876e79); tests/test_configs/
# test_published_hparams.py checks them against that table:
#   batch_size 64                 train_search.py --batch_size
#   weights SGD lr 0.025 -> 0.001 --learning_rate / --learning_rate_min,
#     cosine over 50 epochs       CosineAnnealingLR(optimizer, epochs)
#   momentum 0.9, wd 3e-4         --momentum / --weight_decay
#   weights grad clip 5           --grad_clip
#   alphas Adam lr 3e-4, constant --arch_learning_rate (no arch scheduler)
#   Adam betas (0.5, 0.999)       architect.py Adam(betas=(0.5, 0.999))
#   alphas wd 1e-3                --arch_weight_decay
#   alphas grad-norm clip 10      architect.py clip_grad_norm(alphas, 10.)
#   50 epochs, channels=16, 8 cells      --epochs / --init_channels / --layers
#   50/50 train split             --train_portion 0.5 (dataset base config)
_base_ = [
    '../_base_/datasets/cifar10_search.py',
    '../_base_/search/ddarts_supernet.py',
    '../_base_/search/search_schedule.py',
    '../_base_/search/search_runtime.py',
]
batch_size = 64
# Peak memory of a search iteration: configs/search/README.md (tools/train.py
# checks it before starting; --auto-batch picks the largest batch that fits).
# workers re-created (and re-seeded) every epoch: reproducible augmentation
# draws, also after --resume (docs/search.md, Reproducibility)
train_dataloader = dict(batch_size=batch_size, persistent_workers=False)
arch_dataloader = dict(batch_size=batch_size, persistent_workers=False)
model = dict(
    architecture=dict(
        num_classes=10, channels=16, num_cells=8, alpha_mode='shared',
        mixing='softmax'),
    arch_strategy=dict(w01=0.0, w_abl=0.0, ablation='none'),
    parse_methods=('darts', ))
optim_wrapper = dict(
    architecture=dict(
        optimizer=dict(lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3),
        clip_grad=dict(max_norm=10.0)),
    weights=dict(optimizer=dict(lr=0.025)))
param_scheduler = dict(
    architecture=[dict(type='ConstantLR', factor=1.0, by_epoch=True)],
    weights=[
        dict(type='CosineAnnealingLR', eta_min=1e-3, by_epoch=True, begin=0)
    ])
