"""--auto-batch through tools/train.py on 2 gloo processes: the ranks are
given different memory budgets, and both train with the batch that fits
the smaller one (chosen on rank 0, broadcast), in both search loaders, with
the learning rates scaled by mmengine's auto_scale_lr from the config's
base batch. Hand-computed: fit 100 MiB + 10 MiB per image, 10 % margin;
rank 0's 400 MiB would allow (360 - 100) / 10 = 26 -> 24, rank 1's 250 MiB
allows (225 - 100) / 10 = 12.5 -> 12 -> 8; lr ratio 8 x 2 ranks / 5."""
import json
import os.path as osp
import sys

import pytest

from mmddarts.testing.toy_search import REPO, write_toy_search  # noqa: E402
from mmddarts.testing.cpu_ranks import run_cpu_ranks  # noqa: E402

pytest.importorskip('mmpretrain')


def test_ranks_agree_on_the_auto_batch_and_scaled_lrs(tmp_path,
                                                      tiny_cifar10):
    rec_dir = tmp_path / 'records'
    rec_dir.mkdir()
    cfg = write_toy_search(tmp_path, tiny_cifar10, extra=f"""
custom_imports = dict(imports=['mmddarts.testing.preflight_hooks'],
                      allow_failed_imports=False)
custom_hooks = [
    dict(type='mmddarts.ArchStepScheduleHook'),
    dict(type='mmddarts.GenotypeExportHook', draw=False),
    dict(type='RecordLoaderBatchHook', out_dir={str(rec_dir)!r}),
]
train_cfg = dict(max_epochs=1)
preflight = dict(fit=dict(fixed='100MB', per_image='10MB'))
""")
    budgets = ('400MB', '250MB')
    outs = run_cpu_ranks(
        lambda rank: [sys.executable, osp.join(REPO, 'tools', 'train.py'),
                      cfg, '--launcher', 'pytorch', '--auto-batch',
                      '--work-dir', str(tmp_path / 'work'), '--cfg-options',
                      f'preflight.budget={budgets[rank]}'],
        2, REPO, REPO,
        timeout=240, env_of_rank=lambda rank: dict(LOCAL_WORLD_SIZE='2'))
    recs = [json.load(open(rec_dir / f'rank{r}.json')) for r in (0, 1)]
    ratio = 8 * 2 / 5
    for rec in recs:
        assert rec['weights_batch'] == 8 and rec['arch_batch'] == 8, rec
        assert rec['initial_lr']['weights'] == pytest.approx(0.005 * ratio)
        assert rec['initial_lr']['architecture'] == pytest.approx(
            3e-3 * ratio)
    report = json.load(open(tmp_path / 'work' / 'preflight.json'))
    assert report['rank_budgets'] == [400 * 2**20, 250 * 2**20]
    assert (report['action'], report['best']) == ('auto', 8)
    assert 'auto-batch: batch 8 per rank for both search loaders (was 5' \
        in outs[0]
