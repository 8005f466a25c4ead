# DARTS' evaluation schedule: 600 epochs, SGD lr 0.025 (batch 96 in DARTS,
# 128 here as in D-DARTS), momentum 0.9, wd 3e-4, cosine to 0 stepped per
# epoch, gradient norm clipped at 5.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.025, momentum=0.9, weight_decay=3e-4),
    clip_grad=dict(max_norm=5.0))

param_scheduler = dict(
    # No T_max/end: the Runner sets end = max_epochs and T_max = end - begin,
    # so `--cfg-options train_cfg.max_epochs=N` rescales the cosine too.
    type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=0)

train_cfg = dict(by_epoch=True, max_epochs=600, val_interval=10)
val_cfg = dict()
test_cfg = dict()

# lr 0.025 is for a total batch of 128; `--auto-scale-lr` rescales it.
auto_scale_lr = dict(base_batch_size=128)
