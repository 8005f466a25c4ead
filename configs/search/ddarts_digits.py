# Offline D-DARTS search demo on scikit-learn's handwritten digits (no
# download): 5 individual cells, C=8, 16x16 images, 4 epochs; a few minutes
# on 2 CPU cores. Same losses and schedule shape as the CIFAR search.
#   python tools/train.py configs/search/ddarts_digits.py
_base_ = [
    '../_base_/datasets/digits_search.py',
    '../_base_/search/ddarts_supernet.py',
    '../_base_/search/search_schedule.py',
    '../_base_/search/search_runtime.py',
]
max_epochs = 4
batch_size = 32
train_dataloader = dict(batch_size=batch_size)
arch_dataloader = dict(batch_size=batch_size)
model = dict(
    architecture=dict(num_classes=10, C=8, num_cells=5, steps=4),
    w01=7.0,
    w_abl=0.5,
    ablation='exact')
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=10))
