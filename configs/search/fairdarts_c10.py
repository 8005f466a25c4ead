# FairDARTS baseline on CIFAR-10: one normal and one reduction alpha set
# shared by all cells, sigmoid mixing without 'none', zero-one loss w01 10 as
# ONE mean over both sets (the supernet's zero_one_reduction='joint', the
# default of alpha_mode='shared'), no ablation loss. Parsed with the
# threshold (sparse / edge) and darts.
# Every hyper-parameter is FairDARTS' own, read from xiaomi-automl/FairDARTS
# fairdarts/train_search.py and fairdarts/architect.py (commit 675a0c8);
# tests/test_configs/test_published_hparams.py checks them:
#   batch_size 128                --batch_size
#   weights SGD lr 0.005 -> 0.001 --learning_rate / --learning_rate_min,
#     cosine over 50 epochs       CosineAnnealingLR(model_optimizer, epochs)
#   momentum 0.9, wd 3e-4         --momentum / --weight_decay
#   weights grad clip 5           --grad_clip
#   alphas Adam lr 3e-3, CONSTANT --arch_learning_rate (no arch scheduler)
#   Adam betas (0.9, 0.999)       architect.py betas=(--arch_lr_gamma, .999)
#   alphas wd 1e-3                --arch_weight_decay
#   zero-one weight 10            --aux_loss_weight; loss
#                                 -mse_loss(cat(sigmoid(a_n), sigmoid(a_r)),
#                                 0.5) in architect.py
#   50 epochs, channels=16, 8 cells      --epochs / --init_channels / --layers
#   50/50 train split             --train_portion 0.5 (dataset base config)
_base_ = [
    '../_base_/datasets/cifar10_search.py',
    '../_base_/search/ddarts_supernet.py',
    '../_base_/search/search_schedule.py',
    '../_base_/search/search_runtime.py',
]
batch_size = 128
# Peak memory of a search iteration: configs/search/README.md (tools/train.py
# checks it before starting; --auto-batch picks the largest batch that fits).
# workers re-created (and re-seeded) every epoch: reproducible augmentation
# draws, also after --resume (docs/search.md, Reproducibility)
train_dataloader = dict(batch_size=batch_size, persistent_workers=False)
arch_dataloader = dict(batch_size=batch_size, persistent_workers=False)
model = dict(
    architecture=dict(
        num_classes=10, channels=16, num_cells=8, alpha_mode='shared',
        mixing='sigmoid', zero_one_reduction='joint'),
    arch_strategy=dict(w01=10.0, w_abl=0.0, ablation='none'))
param_scheduler = dict(
    architecture=[dict(type='ConstantLR', factor=1.0, by_epoch=True)],
    weights=[
        dict(type='CosineAnnealingLR', eta_min=1e-3, by_epoch=True, begin=0)
    ])
