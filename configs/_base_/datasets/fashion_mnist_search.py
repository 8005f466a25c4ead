# Fashion-MNIST for the architecture search: a stratified subset of the
# training split (`search_num_samples`, fixed by subset_seed), resized to
# `search_image_size`, cut into two disjoint stratified halves
# (mmddarts.SplitDataset): `train_dataloader` trains the weights,
# `arch_dataloader` the architecture. Validation on the test split at the
# same size. The CPU defaults (2,000 images at 16x16) are a smoke-scale
# search; the DARTS-paper scale is the whole split at 28x28:
#   search_num_samples = None; search_image_size = None (28x28)
_base_ = ['./fashion_mnist.py']

search_num_samples = 2000
search_image_size = 16
search_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=search_image_size,
         padding=2),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
train_split = dict(
    type='mmddarts.FashionMNIST',
    data_root='/usr/share/datasets/fashion-mnist',
    split='train',
    check_md5=True,
    num_samples=search_num_samples,
    image_size=search_image_size,
    pipeline=search_pipeline)
search_portion = 0.5

# Workers are re-created every epoch (persistent_workers=False) so that the
# search loop can seed them per (seed, loader, epoch, rank, worker).
# In-memory data: worker processes would only compete for the cores.
train_dataloader = dict(
    _delete_=True,
    batch_size=64,
    num_workers=0,
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
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='mmddarts.SplitDataset',
        dataset=train_split,
        portion=search_portion,
        part='second',
        seed=0))
# the search's validation: a 2,000-image subset of the test split at the
# search size (the searched networks are tested on all 10,000 after
# training)
val_dataloader = dict(
    _delete_=True,
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmddarts.FashionMNIST',
        data_root='/usr/share/datasets/fashion-mnist',
        split='test',
        check_md5=True,
        num_samples=2000,
        image_size=search_image_size,
        pipeline=[dict(type='mmpretrain.PackInputs')]))
test_dataloader = val_dataloader
