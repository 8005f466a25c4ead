"""ACA through the real tools (docs/aca.md): a 1-epoch DARTS+ACA digits
search writes genotype_aca_final.json, tools/aca_allocate.py gives the same
allocation from the checkpoint, configs/train/aca-darts_digits.py trains
it and tools/test.py evaluates the checkpoint. Tiny: 40 images, C=2."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEARCH_OPTS = [
    'train_cfg.max_epochs=1', 'model.architecture.channels=2',
    'model.architecture.num_cells=3', 'model.architecture.steps=2',
    'train_dataloader.dataset.dataset.indices=40',
    'arch_dataloader.dataset.dataset.indices=40',
    'train_dataloader.batch_size=10', 'arch_dataloader.batch_size=10',
    'val_dataloader.dataset.indices=20', 'aca.calib_batches=2'
]


def run(tool, *args):
    env = dict(os.environ, PYTHONPATH=REPO, CUDA_VISIBLE_DEVICES='',
               OMP_NUM_THREADS='1')
    out = subprocess.run([sys.executable, osp.join(REPO, tool), *args],
                         cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-3000:])
    return out.stdout + out.stderr


def test_search_allocate_train_test(tmp_path):
    search = str(tmp_path / 'search')
    run('tools/train.py', 'configs/search/aca-darts_digits.py',
        '--work-dir', search, '--cfg-options', *SEARCH_OPTS)
    final = osp.join(search, 'genotype_aca_final.json')
    with open(final) as f:
        data = json.load(f)
    assert data['version'] == 2 and data['op_set'] == 'darts_noskip'
    assert osp.isfile(osp.join(search, 'genotype_aca_final.png'))
    # shared alphas: one allocation per gene and edge, ranks at the width
    # of the gene's first cell (normal gene: C=2, reduction gene: 4)
    assert [len(g)
            for g in data['allocations']] == [len(g) for g in data['genes']]
    assert {len(a['ranks']) for a in data['allocations'][0]} == {2}
    assert {len(a['ranks']) for a in data['allocations'][1]} == {4}
    assert data['meta']['aca']['importance'] == 'output'
    # the tool on the search checkpoint: the same genotype and allocation
    mine = str(tmp_path / 'tool.json')
    run('tools/aca_allocate.py', 'configs/search/aca-darts_digits.py',
        osp.join(search, 'epoch_1.pth'), '--out', mine, '--cfg-options',
        *SEARCH_OPTS)
    with open(mine) as f:
        tool = json.load(f)
    assert tool['genes'] == data['genes']
    assert tool['allocations'] == data['allocations']
    # train the allocated genotype at another width (C=4), then test it
    train = str(tmp_path / 'train')
    train_opts = [
        f'model.backbone.genotype={final}', 'model.backbone.channels=4',
        'train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=40',
        'val_dataloader.dataset.indices=20',
        'test_dataloader.dataset.indices=20'
    ]
    run('tools/train.py', 'configs/train/aca-darts_digits.py', '--work-dir',
        train, '--cfg-options', *train_opts)
    ckpt = osp.join(train, 'epoch_1.pth')
    out = run('tools/test.py', 'configs/train/aca-darts_digits.py', ckpt,
              '--work-dir', str(tmp_path / 'test'), '--cfg-options',
              *train_opts)
    acc = float(re.findall(r'accuracy/top1: ([\d.]+)', out)[-1])
    assert 0. <= acc <= 100.
