# Digits for the architecture search: the 1,437 training images cut into two
# disjoint, stratified halves (mmddarts.SplitDataset, fixed by `seed`):
# `train_dataloader` (first half) trains the weights, `arch_dataloader`
# (second half) the architecture. Validation on the 360 test images.
_base_ = ['./digits.py']

search_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=2),
    dict(type='mmpretrain.PackInputs'),
]
train_split = dict(
    type='mmddarts.DigitsDataset', split='train', pipeline=search_pipeline)
search_portion = 0.5

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
