# D-DARTS search on CIFAR-100, the released configuration: 8 cells, C=16,
# 50 epochs, batch 96 (use --amp on a 16-24 GB GPU), w01 7, w_abl 0.5.
_base_ = [
    '../_base_/datasets/cifar100_search.py',
    '../_base_/search/ddarts_supernet.py',
    '../_base_/search/search_schedule.py',
    '../_base_/search/search_runtime.py',
]
batch_size = 96
# Peak memory of one search iteration, CPU fp32 (tools/analysis_tools/
# estimate_memory.py, torch 2.14.1, 1 thread; tools/train.py checks it
# before starting, --auto-batch picks the largest batch that fits):
#   exact 26.6 GiB at batch 96 (139 MiB + 282 MiB per image: 9.0 GiB at 32),
#   reference 13.6 GiB, none 13.6 GiB (about 144 MiB per image).
#   GPU / AMP figures: not measured yet (no GPU for this run).
# workers re-created (and re-seeded) every epoch: reproducible augmentation
# draws, also after --resume (docs/search.md, Reproducibility)
train_dataloader = dict(batch_size=batch_size, persistent_workers=False)
arch_dataloader = dict(batch_size=batch_size, persistent_workers=False)
model = dict(architecture=dict(num_classes=100, C=16, num_cells=8),
             w01=7.0, w_abl=0.5, ablation='exact')
auto_scale_lr = dict(base_batch_size=batch_size, enable=False)
