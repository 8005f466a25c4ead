# D-DARTS search on CIFAR-100, the released configuration: 8 cells,
# channels=16, 50 epochs, w01 7, w_abl 0.5 (the released genotype files are
# named ..._abl0.5_fair7_cifar100_...). Batch 128, the paper's (section 5.1,
# with AMP): python tools/train.py configs/search/ddarts_c100.py --amp
# GPU memory at this batch (the paper's figure scaled, configs/search/
# README.md): a 24 GB GPU with --amp, twice that in fp32. Smaller GPUs:
# --cfg-options train_dataloader.batch_size=64 arch_dataloader.batch_size=64.
# Other values: aheuillet/D-DARTS train_search.py defaults, as ddarts_c10.py;
# tests/test_configs/test_published_hparams.py checks them.
_base_ = [
    '../_base_/datasets/cifar100_search.py',
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
    architecture=dict(num_classes=100, channels=16, num_cells=8),
    arch_strategy=dict(w01=7.0, w_abl=0.5, ablation='reference'))
auto_scale_lr = dict(base_batch_size=batch_size, enable=False)
