# FairDARTS baseline on CIFAR-10: one normal and one reduction alpha set
# shared by all cells, sigmoid mixing without 'none', zero-one loss w01 10,
# no ablation loss. Parsed with the threshold (sparse / edge) and darts.
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
#   13.6 GiB at batch 96 (139 MiB + 144 MiB per image). GPU / AMP: not
#   measured yet.
# workers re-created (and re-seeded) every epoch: reproducible augmentation
# draws, also after --resume (docs/search.md, Reproducibility)
train_dataloader = dict(batch_size=batch_size, persistent_workers=False)
arch_dataloader = dict(batch_size=batch_size, persistent_workers=False)
model = dict(
    architecture=dict(
        num_classes=10, C=16, num_cells=8, alpha_mode='shared',
        mixing='sigmoid'),
    w01=10.0,
    w_abl=0.0,
    ablation='none')
