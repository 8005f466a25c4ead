"""tools/analysis_tools/count_step_ops.py (mmddarts.analysis.step_ops): the
CLI writes per-mode counts
with the documented keys; the phase split matches counting arch_step and
weight_step on their own; the step counts do not depend on batch, width or
image size (what lets the tool count on a tiny network)."""
import json
import os.path as osp

import pytest

from mmddarts.analysis.search_step import build_search
from mmddarts.analysis.step_ops import count_iteration
from mmddarts.profiling.op_counter import OpCounter
from mmddarts.testing.tools import load_tool


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/analysis_tools/count_step_ops.py')


@pytest.fixture(scope='module')
def toy_cfg(repo_root):
    """The digits search config on a 3-cell, 2-node supernet."""
    from mmengine.config import Config

    from mmddarts.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(
        osp.join(repo_root, 'configs/search/ddarts_digits.py'))
    cfg.model['architecture'].update(num_cells=3, steps=2)
    return cfg


def test_cli_writes_json(tool, repo_root, tmp_path, capsys):
    out = tmp_path / 'counts.json'
    rc = tool.main([
        osp.join(repo_root, 'configs/search/ddarts_digits.py'), '--modes',
        'none', 'exact', '--C', '4', '--batch', '2', '--img', '8', '--top',
        '5', '--json', str(out), '--cfg-options',
        'model.architecture.num_cells=3', 'model.architecture.steps=2'
    ])
    assert rc == 0
    text = capsys.readouterr().out
    assert '3 cells, 2 nodes' in text and 'exact:' in text
    res = json.loads(out.read_text())
    assert {'config', 'C', 'batch', 'img', 'modes'} <= set(res)
    assert set(res['modes']) == {'none', 'exact'}
    for mode, r in res['modes'].items():
        assert {'ops', 'syncs', 'sync_kinds', 'phases', 'top', 'seconds',
                'host_reads'} <= set(r)
        assert set(r['phases']) == {'arch_step', 'weight_step', 'other'}
        assert sum(p['ops'] for p in r['phases'].values()) == r['ops']
        assert sum(p['syncs'] for p in r['phases'].values()) == r['syncs']
        assert sum(r['sync_kinds'].values()) == r['syncs']
        assert len(r['top']) == 5 and r['top'][0][1] >= r['top'][-1][1]
        assert all(r['phases'][p]['ops'] > 0 for p in ('arch_step',
                                                       'weight_step'))
        assert f'{mode}: {r["ops"]:,} aten compute ops' in text
    # the ablation passes only add architecture-step work
    none, exact = res['modes']['none'], res['modes']['exact']
    assert exact['phases']['arch_step']['ops'] > \
        none['phases']['arch_step']['ops']
    assert exact['phases']['weight_step'] == none['phases']['weight_step']


def test_phases_match_steps_counted_alone(tool, toy_cfg):
    res = count_iteration(toy_cfg, 'reference', C=4, batch=2, img=8)
    # the tool counts the GPU's path (ablations in one batch)
    model, wrappers, data = build_search(
        toy_cfg, 'reference', batch=2, img=8,
        architecture=dict(channels=4, ablation_cfg=dict(defaults='cuda')))
    model.train_step(data, wrappers)  # the same warm-up
    counter = OpCounter(track_host=True)
    counter.host.mark_optimizer_steps(
        [wrappers['architecture'].optimizer, wrappers['weights'].optimizer])
    counts = {}
    with counter:
        batch_w, batch_a = model._split_batch(data)
        counter.reset()
        model.arch_step(batch_a, wrappers['architecture'])
        counts['arch_step'] = (counter.ops, counter.syncs)
        counter.reset()
        model.weight_step(batch_w, wrappers['weights'])
        counts['weight_step'] = (counter.ops, counter.syncs)
    for phase, (ops, syncs) in counts.items():
        assert (res['phases'][phase]['ops'],
                res['phases'][phase]['syncs']) == (ops, syncs), phase
    # the ablation guard stays on the device (issue 9): no sync in the step
    assert counts['arch_step'][1] == 0


def test_step_counts_do_not_depend_on_shapes(tool, toy_cfg):
    small = count_iteration(toy_cfg, 'exact', C=4, batch=2, img=8)
    big = count_iteration(toy_cfg, 'exact', C=6, batch=3, img=16)
    for phase in ('arch_step', 'weight_step'):
        assert small['phases'][phase] == big['phases'][phase]
    assert small['syncs'] == big['syncs']


def test_exact_counts_the_cuda_path_unless_asked(tool, toy_cfg):
    """Exact mode's CUDA path runs the full network inside the ablation
    batch; the CPU path adds a graph-free forward and a cotangent backward
    through the full pass: more kernels, the same weight step."""
    cuda = count_iteration(toy_cfg, 'exact', C=4, batch=2, img=8)
    cpu = count_iteration(toy_cfg, 'exact', C=4, batch=2, img=8,
                          cpu_path=True)
    assert cpu['phases']['arch_step']['ops'] > \
        cuda['phases']['arch_step']['ops']
    assert cpu['phases']['weight_step'] == cuda['phases']['weight_step']
    assert cpu['syncs'] == cuda['syncs'] == 0


@pytest.mark.parametrize('config,says', [
    ('no_such_dir/cfg.py', 'config file not found'),
    ('configs/train/ddarts_digits.py', 'not a search config'),
])
def test_bad_config_is_one_line(tool, repo_root, tmp_path, config, says):
    path = osp.join(repo_root, config) if config.startswith('configs') \
        else str(tmp_path / config)
    with pytest.raises(SystemExit) as exc:
        tool.main([path])
    assert says in str(exc.value) and path in str(exc.value)
    assert '\n' not in str(exc.value)
