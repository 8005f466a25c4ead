"""The second-order step and Shapley contributions through mmengine's Runner:
a one-epoch tiny search (3 cells, channels=4, 8x8 generated CIFAR images)
with ``UnrolledArchStep`` around ``ShapleyArchStep`` on one process, and the
same on two gloo processes, whose alphas, weights and genotypes must stay
identical
(the virtual step's and the Shapley passes' terms are averaged over ranks).
"""
import json
import os.path as osp
import sys

import pytest
import torch

pytest.importorskip('mmpretrain')

from mmddarts.models.arch_steps import (ShapleyArchStep,  # noqa: E402
                                        UnrolledArchStep)
from mmddarts.testing.cpu_ranks import run_cpu_ranks  # noqa: E402
from mmddarts.testing.search_runs import run_train  # noqa: E402
from test_search_e2e import (REPO, alphas_of,  # noqa: E402
                             search_cfg)

from mmddarts.utils.dist_utils import shutdown_process_group  # noqa: E402

VARIANT = dict(arch_strategy=dict(
    type='mmddarts.UnrolledArchStep',
    inner=dict(type='mmddarts.ShapleyArchStep', w01=7.0, w_abl=0.5,
               ablation='exact', num_permutations=2)))


def variant_cfg(data_root, work_dir):
    cfg = search_cfg(data_root, work_dir, max_epochs=1)
    cfg.model.update(VARIANT)
    return cfg


def test_search_with_unrolled_shapley_step(tiny_cifar10, tmp_path):
    cfg = variant_cfg(tiny_cifar10, str(tmp_path))
    torch.manual_seed(0)
    runner = run_train(cfg)
    model = runner.model
    assert isinstance(model.arch_strategy, UnrolledArchStep)
    assert isinstance(model.arch_strategy.inner, ShapleyArchStep)
    with open(osp.join(str(tmp_path), 'search_history.jsonl')) as f:
        hist = [json.loads(ln) for ln in f]
    assert len(hist) == 1
    rec = hist[0]
    assert len(rec['mc']) == 3 and len(rec['mc_se']) == 3
    assert all(s >= 0 for s in rec['mc_se'])
    assert abs(sum(rec['labl'])) < 1e-4
    alphas = alphas_of(runner)
    assert all(torch.isfinite(a).all() for a in alphas)
    assert osp.isfile(osp.join(str(tmp_path), 'genotype_sparse_final.json'))


def test_ddp_two_ranks_unrolled_shapley(tiny_cifar10, tmp_path):
    run_cpu_ranks(lambda rank: [sys.executable, osp.abspath(__file__),
                                '--ddp-worker', tiny_cifar10, str(tmp_path)],
                  2, REPO, REPO, timeout=240)
    a0, a1 = [torch.load(osp.join(str(tmp_path), f'rank{r}_epoch1.pt'),
                         weights_only=True) for r in range(2)]
    assert a0['genotype'] == a1['genotype']
    for x, y in zip(a0['alphas'], a1['alphas']):
        assert torch.equal(x, y)
    assert any(not torch.equal(x, y)
               for x, y in zip(a0['alphas'], a0['init']))
    assert a0['weights_equal'] and a1['weights_equal']


def _ddp_worker(data_root, out_dir):
    import torch.distributed as dist
    dist.init_process_group('gloo')
    torch.set_num_threads(1)
    cfg = variant_cfg(data_root, osp.join(out_dir, 'work'))
    cfg.launcher = 'pytorch'
    cfg.model_wrapper_cfg = dict(type='mmddarts.DDartsSearchDDP')
    cfg.custom_hooks.append(dict(type='_RankRecordHook', out_dir=out_dir))
    runner = run_train(cfg)
    assert type(runner.model).__name__ == 'DDartsSearchDDP'
    assert isinstance(runner.model.module.arch_strategy, UnrolledArchStep)
    del runner  # its DDP wrapper holds the group: free both before exit
    shutdown_process_group()


if __name__ == '__main__' and sys.argv[1:2] == ['--ddp-worker']:
    _ddp_worker(sys.argv[2], sys.argv[3])
