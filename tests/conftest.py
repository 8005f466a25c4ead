"""Shared, generic fixtures: tiny CIFAR-format data, written once."""
import os.path as osp

import pytest
import torch

# Toy networks run much faster on one intra-op thread (on a busy 2-core
# machine, two threads made tiny convolutions ~30x slower; 85 s -> 2.3 s for
# 3 RetinaNet iterations).
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def one_thread():
    """Every test starts on one intra-op thread, whatever an earlier test
    set, and leaves the count as it found it."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def repo_root():
    """Absolute path of the repository (configs/, tools/...)."""
    return REPO_ROOT


@pytest.fixture(scope='session')
def tiny_cifar10(tmp_path_factory):
    """A CIFAR-10-format data root: 40 train / 20 test images, seed 0."""
    from mmddarts.datasets import write_cifar
    root = str(tmp_path_factory.mktemp('cifar10'))
    write_cifar(root, 'cifar10', num_train=40, num_test=20, seed=0)
    return root


@pytest.fixture(scope='session')
def tiny_cifar100(tmp_path_factory):
    """A CIFAR-100-format data root: 200 train / 100 test images, seed 0."""
    from mmddarts.datasets import write_cifar
    root = str(tmp_path_factory.mktemp('cifar100'))
    write_cifar(root, 'cifar100', num_train=200, num_test=100, seed=0)
    return root


def _restore_default_scopes():
    """Save mmengine's default scopes; the generator restores them."""
    from mmengine import DefaultScope
    saved = dict(DefaultScope._instance_dict)
    yield
    if DefaultScope._instance_dict != saved:
        DefaultScope._instance_dict.clear()
        DefaultScope._instance_dict.update(saved)


@pytest.fixture(autouse=True, scope='module')
def _isolate_default_scope_per_module():
    """The same for module-scoped fixtures (an e2e module runs its Runner
    once), which set up before, and outlive, every per-test fixture."""
    yield from _restore_default_scopes()


@pytest.fixture(autouse=True)
def _isolate_default_scope():
    """Drop the mmengine default scopes a test creates (a Runner makes its
    own and leaves it current), so a later test building a plain name is not
    sent to another package's registry."""
    yield from _restore_default_scopes()
