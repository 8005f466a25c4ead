"""The README's command sequence (search -> train -> test -> export) with the
default work dirs, shrunk to seconds with --cfg-options (3-cell, 4-channel
digits search, 64 images, one epoch each), run as a user runs it: every output
of an earlier step is still there, unchanged, at the end. Then issue 20's
reproductions on those outputs: a checkpoint that does not fit the config
(another supernet, a training checkpoint for export, another head, a search
checkpoint for a training config) is an error naming the cause and the
fix, and each suggested fix works; ONNX export rebuilds the recorded
network; work dirs of another run are refused; ``--resume`` with nothing to
resume is an error.

Each step is a subprocess of the real tool in a temporary folder whose
``configs`` links to the repository's (the configs' relative paths and the
default ``./work_dirs`` then resolve as in a clone)."""
import glob
import hashlib
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEARCH = 'work_dirs/search/ddarts_digits'
TRAIN = 'work_dirs/train/ddarts_digits'
SHRINK_SEARCH = [
    '--no-preflight', '--cfg-options', 'train_cfg.max_epochs=1',
    'model.architecture.num_cells=3', 'model.architecture.channels=4',
    'train_dataloader.dataset.dataset.indices=64',
    'arch_dataloader.dataset.dataset.indices=64',
    'val_dataloader.dataset.indices=32', 'train_dataloader.batch_size=16',
    'arch_dataloader.batch_size=16'
]
SHRINK_TRAIN = ['train_cfg.max_epochs=1',
                'train_dataloader.dataset.indices=64',
                'val_dataloader.dataset.indices=32']
SHRINK_TEST = ['test_dataloader.dataset.indices=32']


def tool(cwd, script, *args, timeout=300):
    env = dict(os.environ, PYTHONPATH=REPO, CUDA_VISIBLE_DEVICES='',
               OMP_NUM_THREADS='1')
    return subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', script), *args], cwd=cwd,
        env=env, capture_output=True, text=True, timeout=timeout)


def ok(proc):
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def fails(proc):
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-4000:]
    assert 'Traceback' not in out, out[-4000:]
    return out


def snapshot(cwd):
    """sha256 of every file under work_dirs."""
    out = {}
    for path in glob.glob(osp.join(cwd, 'work_dirs', '**'), recursive=True):
        if osp.isfile(path):
            with open(path, 'rb') as f:
                out[osp.relpath(path, cwd)] = hashlib.sha256(
                    f.read()).hexdigest()
    return out


def new_clone(tmp):
    os.makedirs(tmp, exist_ok=True)
    os.symlink(osp.join(REPO, 'configs'), osp.join(tmp, 'configs'))
    return str(tmp)


@pytest.fixture(scope='module')
def sequence(tmp_path_factory):
    cwd = new_clone(tmp_path_factory.mktemp('readme'))
    snaps = []
    # 1. search (README: OMP_NUM_THREADS=1 python tools/train.py
    #    configs/search/ddarts_digits.py)
    ok(tool(cwd, 'train.py', 'configs/search/ddarts_digits.py',
            *SHRINK_SEARCH))
    snaps.append(snapshot(cwd))
    # 2. train the searched genotype
    geno = f'{SEARCH}/genotype_sparse_final.json'
    ok(tool(cwd, 'train.py', 'configs/train/ddarts_digits.py',
            '--cfg-options', f'model.backbone.genotype={geno}',
            *SHRINK_TRAIN))
    snaps.append(snapshot(cwd))
    # 3. test it
    test_out = ok(tool(cwd, 'test.py', 'configs/train/ddarts_digits.py',
                       f'{TRAIN}/epoch_1.pth', '--cfg-options',
                       *SHRINK_TEST))
    snaps.append(snapshot(cwd))
    # 4. re-export the search's genotypes, from the checkpoint alone
    ok(tool(cwd, 'export_genotype.py', f'{SEARCH}/epoch_1.pth', '--methods',
            'edge', '--threshold', '0.8', '--out-dir', f'{SEARCH}/T0.8'))
    snaps.append(snapshot(cwd))
    return dict(cwd=cwd, snaps=snaps, test_out=test_out)


def test_every_earlier_output_is_intact(sequence):
    snaps = sequence['snaps']
    assert f'{SEARCH}/epoch_1.pth' in snaps[0]
    assert f'{TRAIN}/epoch_1.pth' in snaps[1]
    assert f'{SEARCH}/T0.8/genotype_edge.json' in snaps[3]
    assert 'Test metrics' in sequence['test_out']
    final = snaps[-1]
    for k, earlier in enumerate(snaps[:-1]):
        for path, digest in earlier.items():
            assert final.get(path) == digest, \
                f'{path} (written by step {k + 1}) was changed or deleted'
    with open(osp.join(sequence['cwd'], SEARCH, 'last_checkpoint')) as f:
        assert f.read().strip().endswith(f'{SEARCH}/epoch_1.pth')


def _genes(path):
    with open(path) as f:
        g = json.load(f)
    return g['genes'], g['seq'], g['reductions']


def test_export_refuses_another_supernet_and_its_fix_works(sequence):
    """Issue item 1: the checkpoint of a search run with --cfg-options,
    exported with the shipped config."""
    cwd = sequence['cwd']
    ckpt = f'{SEARCH}/epoch_1.pth'
    out = fails(tool(cwd, 'export_genotype.py',
                     'configs/search/ddarts_digits.py', ckpt,
                     '--out-dir', 'export_wrong'))
    assert 'num_cells: checkpoint 3, config 4' in out
    assert 'channels: checkpoint 4, config 8' in out
    assert not osp.exists(osp.join(cwd, 'export_wrong',
                                   'genotype_sparse.json'))
    fix = out.split('--cfg-options ')[-1].split('. Nothing')[0].split()
    assert fix == ['model.architecture.num_cells=3',
                   'model.architecture.channels=4']
    ok(tool(cwd, 'export_genotype.py', 'configs/search/ddarts_digits.py',
            ckpt, '--cfg-options', *fix, '--methods', 'sparse',
            '--out-dir', 'export_fixed'))
    # the genotype the search's own hook parsed from its in-memory alphas
    assert _genes(osp.join(cwd, 'export_fixed', 'genotype_sparse.json')) \
        == _genes(osp.join(cwd, SEARCH, 'genotype_sparse_final.json'))


def test_export_from_the_checkpoint_alone(sequence):
    cwd = sequence['cwd']
    ok(tool(cwd, 'export_genotype.py', f'{SEARCH}/epoch_1.pth',
            '--out-dir', 'export_alone'))
    for method in ('sparse', 'edge', 'darts'):  # the search's parse_methods
        assert _genes(osp.join(cwd, 'export_alone',
                               f'genotype_{method}.json')) == \
            _genes(osp.join(cwd, SEARCH, f'genotype_{method}_final.json'))


def test_export_refuses_a_training_checkpoint(sequence):
    out = fails(tool(sequence['cwd'], 'export_genotype.py',
                     'configs/search/ddarts_digits.py',
                     f'{TRAIN}/epoch_1.pth', '--out-dir', 'export_train'))
    assert 'is not a search checkpoint' in out


def test_test_refuses_another_head(sequence):
    """Issue item 2: a checkpoint of another class count."""
    out = fails(tool(sequence['cwd'], 'test.py',
                     'configs/train/ddarts_digits.py',
                     f'{TRAIN}/epoch_1.pth', '--cfg-options',
                     'model.head.num_classes=5',
                     'model.aux_head.num_classes=5', *SHRINK_TEST))
    assert 'head.fc.weight: checkpoint [10, ' in out
    assert 'Test metrics' not in out
    assert 'its run: ddarts_digits' in out


def test_test_names_a_search_checkpoint(sequence):
    out = fails(tool(sequence['cwd'], 'test.py',
                     'configs/train/ddarts_digits.py',
                     f'{SEARCH}/epoch_1.pth', '--cfg-options',
                     *SHRINK_TEST))
    assert 'a SEARCH checkpoint' in out and 'an older checkpoint' not in out
    assert 'Test metrics' not in out


def test_onnx_rebuilds_the_recorded_network(sequence):
    """Issue item 5: the config's genotype (8 cells) is not the trained
    one (3 cells); pytorch2onnx.py builds the checkpoint's, as test.py."""
    cwd = sequence['cwd']
    out = ok(tool(cwd, 'deployment/pytorch2onnx.py',
                  'configs/train/ddarts_digits.py', f'{TRAIN}/epoch_1.pth',
                  '--out', 'a.onnx'))
    assert 'built from the genotype recorded' in out and 'parity OK' in out
    out = fails(tool(cwd, 'deployment/pytorch2onnx.py',
                     'configs/train/ddarts_digits.py', f'{TRAIN}/epoch_1.pth',
                     '--out', 'b.onnx', '--genotype', 'config'))
    assert 'num_cells: checkpoint has 3, the network has 8' in out
    # the documented hint works here too
    ok(tool(cwd, 'deployment/pytorch2onnx.py',
            'configs/train/ddarts_digits.py', f'{TRAIN}/epoch_1.pth',
            '--out', 'c.onnx', '--genotype', 'config', '--cfg-options',
            'model.backbone.genotype=from_checkpoint'))


def test_onnx_of_a_search_config_says_what_to_do(sequence):
    for extra in ([], ['--backbone-only']):
        out = fails(tool(sequence['cwd'], 'deployment/pytorch2onnx.py',
                         'configs/search/ddarts_digits.py',
                         f'{SEARCH}/epoch_1.pth', '--out', 'd.onnx',
                         *extra))
        assert 'is a search config' in out and 'export_genotype' in out


def test_a_work_dir_of_another_run_is_refused(sequence):
    """Issue item 3: training into the search's folder."""
    cwd = sequence['cwd']
    before = snapshot(cwd)
    out = fails(tool(cwd, 'train.py', 'configs/train/ddarts_digits.py',
                     '--work-dir', SEARCH, '--cfg-options',
                     *SHRINK_TRAIN))
    assert f'work dir {SEARCH} holds the checkpoints of a search run of ' \
        'ddarts_digits' in out
    assert 'work_dirs/train/ddarts_digits' in out  # the fix
    assert snapshot(cwd) == before


def test_resume_needs_a_checkpoint(tmp_path):
    """Issue item 6: an empty or mistyped work dir."""
    cwd = new_clone(tmp_path)
    out = fails(tool(cwd, 'train.py', 'configs/train/ddarts_digits.py',
                     '--work-dir', 'work_dirs/typo', '--resume'))
    assert 'nothing to resume in work_dirs/typo' in out
    assert '--resume auto' in out
    out = fails(tool(cwd, 'train.py', 'configs/train/ddarts_digits.py',
                     '--resume', 'work_dirs/none/epoch_3.pth'))
    assert 'checkpoint not found: work_dirs/none/epoch_3.pth' in out
    # --resume auto: a fresh start when there is nothing to resume
    ok(tool(cwd, 'train.py', 'configs/train/ddarts_digits.py', '--resume',
            'auto', '--cfg-options', 'train_cfg.max_epochs=1',
            'train_dataloader.dataset.indices=16',
            'val_dataloader.dataset.indices=16'))
    assert osp.isfile(osp.join(cwd, TRAIN, 'epoch_1.pth'))


def test_search_resumes_after_the_training(sequence, tmp_path):
    """The issue's crash: the search's --resume after the training ran."""
    cwd = new_clone(tmp_path / 'copy')
    shutil.copytree(osp.join(sequence['cwd'], 'work_dirs'),
                    osp.join(cwd, 'work_dirs'))
    args = list(SHRINK_SEARCH)
    args[args.index('train_cfg.max_epochs=1')] = 'train_cfg.max_epochs=2'
    out = ok(tool(cwd, 'train.py', 'configs/search/ddarts_digits.py',
                  '--resume', *args))
    assert f'Load checkpoint from {SEARCH}/epoch_1.pth' in out or \
        'resumed' in out.lower()
    assert osp.isfile(osp.join(cwd, SEARCH, 'epoch_2.pth'))


def test_arch_distance_reads_the_genotype_a_checkpoint_records(sequence):
    from mmddarts.analysis.arch_distance import checkpoint_genotype
    cwd = sequence['cwd']
    geno = checkpoint_genotype(osp.join(cwd, TRAIN, 'epoch_1.pth'))
    genes, seq, reductions = _genes(osp.join(
        cwd, SEARCH, 'genotype_sparse_final.json'))
    assert [[list(e) for e in g] for g in geno.genes] == genes
    assert list(geno.seq) == seq and list(geno.reductions) == reductions
    with pytest.raises(SystemExit, match='is a search checkpoint'):
        checkpoint_genotype(osp.join(cwd, SEARCH, 'epoch_1.pth'))
