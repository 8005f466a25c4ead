"""tools/analysis_tools/benchmark_arch_step.py: the second-order and Shapley
modes run one step each (in process, tiny supernet) and report their time;
each maps to the first-order leave-one-out step it replaces."""
import json

import pytest

from mmddarts.analysis.arch_step_bench import baseline_of
from mmddarts.testing.tools import load_tool


@pytest.fixture(scope='module')
def bench():
    return load_tool('tools/analysis_tools/benchmark_arch_step.py')


def test_baselines():
    assert baseline_of('exact-2nd') == 'exact'
    assert baseline_of('none-2nd') == 'none'
    assert baseline_of('shapley-k4') == 'exact'
    assert baseline_of('exact') is None


@pytest.mark.parametrize('mode', ['exact-2nd', 'shapley-k2'])
def test_child_runs_mode(bench, mode, capsys):
    args = bench.parse_args(['--cells', '3', '--C', '4', '--batch', '2',
                             '--img', '8', '--threads', '1', '--warmup', '0',
                             '--repeat', '1', '--child', mode])
    bench.run_child(args)
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert row['mode'] == mode and row['time_s'] > 0
