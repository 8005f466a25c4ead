"""Fashion-MNIST end to end through the real tools, on written idx files.

A 1-epoch search with the real ``configs/search/*_fmnist.py`` (one input
channel, shrunk by --cfg-options to 3 cells, 4 channels, 2 nodes, 40 images),
the searched genotype trained 1 epoch with ``configs/train/ddarts_fmnist.py``
and tested with ``tools/test.py``: the same commands a user runs, with
``data_root`` / ``check_md5=False`` pointing at the written files.
"""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from mmddarts.datasets import write_fashion_mnist
from mmddarts.structures.loading import load_genotype

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_SEARCH = [
    'train_cfg.max_epochs=1', 'model.architecture.channels=4',
    'model.architecture.num_cells=3', 'model.architecture.steps=2',
    'train_dataloader.batch_size=10', 'arch_dataloader.batch_size=10',
    'train_dataloader.dataset.dataset.num_samples=None',
    'arch_dataloader.dataset.dataset.num_samples=None',
    'val_dataloader.dataset.num_samples=None',
    'test_dataloader.dataset.num_samples=None',
]


def run_tool(args, log):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep +
               os.environ.get('PYTHONPATH', ''), OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable] + args, cwd=REPO, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=600)
    with open(log, 'w') as f:
        f.write(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return proc.stdout


@pytest.fixture(scope='module')
def idx_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('fmnist'))
    write_fashion_mnist(root, num_train=40, num_test=20, compressed=True)
    return root


def test_search_train_test(idx_root, tmp_path):
    data = [f'data_root={idx_root}', 'check_md5=False']
    search_dir = str(tmp_path / 'search')
    run_tool(['tools/train.py', 'configs/search/ddarts_fmnist.py',
              '--work-dir', search_dir, '--cfg-options'] + data +
             TINY_SEARCH, tmp_path / 'search.log')
    genotype = osp.join(search_dir, 'genotype_sparse_final.json')
    g = load_genotype(genotype)
    assert g.num_cells == 3 and g.steps == 2
    train_dir = str(tmp_path / 'train')
    net = [f'model.backbone.genotype={genotype}', 'model.backbone.num_cells=3',
           'model.backbone.channels=4']
    run_tool(['tools/train.py', 'configs/train/ddarts_fmnist.py',
              '--work-dir', train_dir, '--cfg-options'] + data + net +
             ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
              'train_dataloader.dataset.num_samples=None',
              'train_dataloader.batch_size=10'], tmp_path / 'train.log')
    with open(osp.join(train_dir, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    out = run_tool(['tools/test.py', 'configs/train/ddarts_fmnist.py', ckpt,
                    '--work-dir', str(tmp_path / 'test'), '--cfg-options']
                   + data + net, tmp_path / 'test.log')
    acc = re.findall(r'accuracy/top1: ([0-9.]+)', out)
    assert acc and 0. <= float(acc[-1]) <= 100.
    # 20 test images: the accuracy is a multiple of 5 %
    assert float(acc[-1]) % 5. == pytest.approx(0., abs=1e-6)


@pytest.mark.parametrize('config,parse', [
    ('configs/search/darts_fmnist.py', 'darts'),
    ('configs/search/fairdarts_fmnist.py', 'sparse'),
])
def test_baseline_searches_run(idx_root, tmp_path, config, parse):
    run_tool(['tools/train.py', config, '--work-dir', str(tmp_path),
              '--cfg-options', f'data_root={idx_root}', 'check_md5=False']
             + TINY_SEARCH, tmp_path / 'search.log')
    with open(tmp_path / f'genotype_{parse}_final.json') as f:
        g = json.load(f)
    assert len(g['seq']) == 3 and len(g['genes']) == 2  # shared alphas


def test_demo_without_the_data_names_the_install_command(tmp_path):
    # an existing folder without the idx files (a missing folder is refused
    # earlier by tools/train.py's data-root check, naming the folder)
    os.makedirs(tmp_path / 'missing')
    proc = subprocess.run(
        [sys.executable, 'tools/demo.py', '--dataset', 'fashion-mnist',
         '--data-root', str(tmp_path / 'missing'), '--work-dir',
         str(tmp_path / 'demo')],
        cwd=REPO, env=dict(os.environ, OMP_NUM_THREADS='1',
                           PYTHONPATH=REPO + os.pathsep +
                           os.environ.get('PYTHONPATH', '')),
        capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    log = (tmp_path / 'demo' / 'search.log').read_text()
    assert 'apt-get install dataset-fashion-mnist' in log
    assert str(tmp_path / 'missing') in log
