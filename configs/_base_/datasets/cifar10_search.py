# CIFAR-10 for the architecture search (D-DARTS / DARTS first order).
# The training split is cut into two disjoint, stratified halves
# (mmddarts.SplitDataset, fixed by `seed`): `train_dataloader` (first half)
# trains the network weights, `arch_dataloader` (second half) trains the
# architecture parameters; a search loop reads `arch_dataloader` (e.g.
# `train_cfg = dict(..., arch_dataloader={{_base_.arch_dataloader}})`).
# Validation uses the test split. DARTS' search augmentation: crop + flip,
# no cutout. To use other data files:
#   --cfg-options data_root=/path/to/cifar10   (tools/train.py propagates it)
# Generated CIFAR-format files (tools/misc/write_tiny_cifar.py): add
#   check_md5=False                            (propagated the same way)
_base_ = ['./cifar10.py']

search_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
train_split = dict(
    type='mmddarts.CIFAR10',
    data_root='data/cifar10',
    split='train',
    check_md5=True,
    pipeline=search_pipeline)
search_portion = 0.5  # share of the training split that trains the weights

# Workers are re-created every epoch (persistent_workers=False) so that the
# search loop can seed them per (seed, loader, epoch, rank, worker): a resumed
# search then replays the same augmentations (docs/search.md, Resume).
train_dataloader = dict(
    _delete_=True,
    batch_size=64,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='mmddarts.SplitDataset',
        dataset=train_split,
        portion=search_portion,
        part='first',
        seed=0))
arch_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='mmddarts.SplitDataset',
        dataset=train_split,
        portion=search_portion,
        part='second',
        seed=0))
