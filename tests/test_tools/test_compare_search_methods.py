"""compare_search_methods: the aggregation on hand-made result files."""
import itertools
import json
import os
import os.path as osp

import numpy as np
import pytest

from mmddarts.analysis import compare_search_methods as csm

BUDGET = dict(search_epochs=2, train_epochs=3,
              train_config='configs/train/ddarts_fmnist.py', train_options=[])


def write_result(work_dir, method, seed, acc, params, flops=1e6,
                 search_s=10., train_s=20., **extra):
    d = osp.join(str(work_dir), f'{method}_seed{seed}')
    os.makedirs(d, exist_ok=True)
    r = dict(method=method, seed=seed, test_acc=acc, params=params,
             flops=flops, search_s=search_s, train_s=train_s, ops=6,
             **BUDGET)
    r.update(extra)
    with open(osp.join(d, csm.RESULT), 'w') as f:
        json.dump(r, f)
    return r


def exact_bootstrap_quantiles(a, b, level=0.95):
    """Every equally likely pair of resamples, enumerated."""
    diffs = [np.mean(ra) - np.mean(rb)
             for ra in itertools.product(a, repeat=len(a))
             for rb in itertools.product(b, repeat=len(b))]
    return np.quantile(diffs, [(1 - level) / 2, (1 + level) / 2])


def test_bootstrap_matches_exact_enumeration():
    a, b = [90., 92.], [80., 82., 84.]
    lo, hi = csm.bootstrap_diff_ci(a, b, num=200000, seed=1)
    ex_lo, ex_hi = exact_bootstrap_quantiles(a, b)
    # the resample diffs lie on a grid of 1/3 point: the Monte-Carlo
    # quantiles land on the exact ones or one grid step away
    assert abs(lo - ex_lo) <= 0.34 and abs(hi - ex_hi) <= 0.34
    assert 6. <= lo < 9. < hi <= 12.  # within the extreme resamples
    # no spread, no interval
    assert csm.bootstrap_diff_ci([91.] * 3, [88.] * 4) == \
        pytest.approx((3., 3.))
    lo, hi = csm.bootstrap_diff_ci([1.], [])
    assert np.isnan(lo) and np.isnan(hi)


def test_aggregate_table_and_files(tmp_path):
    w1, w2 = tmp_path / 'machine1', tmp_path / 'machine2'
    write_result(w1, 'ddarts', 0, 90.0, 100000, search_s=100.)
    write_result(w2, 'ddarts', 1, 92.0, 120000, search_s=120.)
    write_result(w1, 'darts', 0, 85.0, 90000, search_s=50.)
    for i, acc in enumerate([80., 82., 84.]):
        write_result(w2, 'random', i, acc, 50000 + 10000 * i, search_s=0.)
    text = csm.aggregate([str(w1), str(w2)], str(tmp_path / 'out'))
    rows = {line.split('|')[1].strip(): line for line in text.splitlines()
            if line.startswith('| `')}
    # first-seen order (folders sorted), random last
    assert list(rows) == ['`darts`', '`ddarts`', '`random`']
    cells = [c.strip() for c in rows['`ddarts`'].split('|')[1:-1]]
    # mean 91, sample std sqrt(2) = 1.41; params 0.110 +- 0.014 M
    assert cells[1] == '2' and cells[2] == '91.00 ± 1.41'
    assert cells[3] == '0.110 ± 0.014'
    assert cells[5] == '110'  # mean search seconds
    assert cells[7].startswith('+9.00 [')  # 91 - 82
    assert cells[8] == '90.00, 92.00'
    darts = [c.strip() for c in rows['`darts`'].split('|')[1:-1]]
    assert darts[2] == '85.00'  # one run: no std
    assert darts[7].startswith('+3.00 [')
    rand = [c.strip() for c in rows['`random`'].split('|')[1:-1]]
    assert rand[2] == '82.00 ± 2.00' and rand[7] == '-'
    with open(tmp_path / 'out' / 'summary.json') as f:
        summary = json.load(f)
    s = summary['summary']['ddarts']
    assert s['test_acc_mean'] == pytest.approx(91.)
    lo, hi = s['diff_ci95']
    assert 6. <= lo < 9. < hi <= 12.
    assert len(summary['runs']) == 6
    assert (tmp_path / 'out' / 'accuracy_vs_params.png').stat().st_size > 0


def test_aggregate_refuses_mixed_budgets_and_bad_files(tmp_path):
    write_result(tmp_path / 'a', 'ddarts', 0, 90., 1000)
    write_result(tmp_path / 'a', 'random', 0, 80., 1000, train_epochs=9)
    with pytest.raises(ValueError, match='mix 2 budgets'):
        csm.aggregate([str(tmp_path / 'a')], str(tmp_path / 'o'))
    # the same run in two dirs: counted once with one budget, an error with
    # two
    write_result(tmp_path / 'b', 'ddarts', 0, 90., 1000)
    write_result(tmp_path / 'c', 'ddarts', 0, 91., 1000)
    assert len(csm.read_results([str(tmp_path / 'b'),
                                 str(tmp_path / 'c')])) == 1
    write_result(tmp_path / 'd', 'ddarts', 0, 91., 1000, search_epochs=7)
    with pytest.raises(ValueError, match='another budget'):
        csm.read_results([str(tmp_path / 'b'), str(tmp_path / 'd')])
    os.makedirs(tmp_path / 'e' / 'x_seed0')
    (tmp_path / 'e' / 'x_seed0' / csm.RESULT).write_text('{"method": "x"}')
    with pytest.raises(ValueError, match="missing \\['seed', 'test_acc'"):
        csm.read_results([str(tmp_path / 'e')])
    with pytest.raises(ValueError, match='no result.json'):
        csm.aggregate([str(tmp_path / 'f')] if os.makedirs(
            tmp_path / 'f') is None else [], str(tmp_path / 'o'))


def test_plan_order_and_resume():
    todo = csm.plan(['ddarts', 'darts', 'random'], [0, 1], 3)
    assert todo == [('ddarts', 0), ('darts', 0), ('random', 0),
                    ('ddarts', 1), ('darts', 1), ('random', 1),
                    ('random', 2)]
    assert csm.plan(['ddarts', 'random'], [0], 2,
                    done=[('random', 0)]) == [('ddarts', 0), ('random', 1)]
    assert csm.plan(['random'], [0, 1], 2) == [('random', 0), ('random', 1)]


def test_method_specs():
    assert csm.parse_method_spec('ddarts') == (
        'ddarts', 'configs/search/ddarts_fmnist.py', 'sparse')
    assert csm.parse_method_spec('mine=configs/x.py:edge') == (
        'mine', 'configs/x.py', 'edge')
    with pytest.raises(ValueError, match='unknown method'):
        csm.parse_method_spec('enas')
    with pytest.raises(ValueError, match='NAME=CONFIG:PARSE'):
        csm.parse_method_spec('mine=configs/x.py:argmax')


def test_tool_aggregate_step(tmp_path, capsys):
    import importlib.util
    path = osp.join(osp.dirname(__file__), '..', '..', 'tools',
                    'analysis_tools', 'compare_search_methods.py')
    spec = importlib.util.spec_from_file_location('csm_tool', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    write_result(tmp_path, 'fairdarts', 3, 88.5, 2000)
    assert tool.main(['aggregate', str(tmp_path), '--no-plot']) == 0
    assert '| `fairdarts` | 1 | 88.50 |' in capsys.readouterr().out
    assert tool.main(['aggregate', str(tmp_path / 'none')]) == 1
