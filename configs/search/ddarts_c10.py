# D-DARTS search on CIFAR-10: 8 individual cells, C=16, 50 epochs, batch 96,
# w01 7, w_abl 0.5 (exact ablation gradient), both halves of the train split.
# Batch 96 fits a 16-24 GB GPU with `--amp` (fp16: python tools/train.py
# configs/search/ddarts_c10.py --amp); in fp32 use 64 or a bigger GPU.
_base_ = [
    '../_base_/datasets/cifar10_search.py',
    '../_base_/search/ddarts_supernet.py',
    '../_base_/search/search_schedule.py',
    '../_base_/search/search_runtime.py',
]
batch_size = 96
# Peak memory of one search iteration, CPU fp32 (tools/analysis_tools/
# estimate_memory.py, torch 2.14.1, 1 thread; tools/train.py checks it
# before starting, --auto-batch picks the largest batch that fits):
#   exact 26.6 GiB at batch 96 (141 MiB + 282 MiB per image: 9.0 GiB at
#   32). GPU / AMP figures: not measured yet.
# workers re-created (and re-seeded) every epoch: reproducible augmentation
# draws, also after --resume (docs/search.md, Reproducibility)
train_dataloader = dict(batch_size=batch_size, persistent_workers=False)
arch_dataloader = dict(batch_size=batch_size, persistent_workers=False)
model = dict(architecture=dict(num_classes=10, C=16, num_cells=8),
             w01=7.0, w_abl=0.5, ablation='exact')
# Two searches on 2 GPUs: the effective batch is 2 x 96 (lr unchanged, as
# the reference); `--auto-scale-lr` rescales from this base.
auto_scale_lr = dict(base_batch_size=batch_size, enable=False)
