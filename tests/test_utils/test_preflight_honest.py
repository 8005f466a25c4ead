"""tools/train.py's checks before the memory preflight, and the preflight's
messages (issue 20, item 4): cheap checks (data root, AMP options, resume
file, config that does not build, statistics file) stop the run before any
measurement, each with its own one-line error and no memory advice; a
measuring child that was killed, crashed or raised is reported as what
happened; a progress line precedes the measurement; and every concrete fix a
refusal suggests, applied through tools/train.py's own argument handling,
makes the same check pass with the batch --auto-batch would choose."""
import os.path as osp
import re

import pytest
from mmengine.config import Config

from mmddarts.testing.tools import load_tool

from mmddarts.engine.runner_setup import merge_train_args
from mmddarts.memory import preflight as pf
from mmddarts.memory.estimate import (MeasurementDied, MeasurementError,
                                      MemoryFit)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MiB = 2**20


def train_tool():
    return load_tool('tools/train.py', 'train_tool_under_test')


@pytest.fixture
def no_measurement(monkeypatch):
    """Any memory measurement fails the test: the error must come first."""
    def forbidden(*a, **k):
        raise AssertionError('the memory was measured before the error')
    monkeypatch.setattr(pf, 'estimate_search_memory', forbidden)


def run_train(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'configs').symlink_to(osp.join(REPO, 'configs'))
    with pytest.raises(SystemExit) as err:
        train_tool().main(argv)
    return str(err.value)


def test_missing_data_root_first(tmp_path, monkeypatch, no_measurement):
    monkeypatch.setenv('DATA_ROOT', str(tmp_path / 'flowers2'))
    msg = run_train(['configs/search/ddarts_custom.py'], tmp_path,
                    monkeypatch)
    assert msg.startswith('error: data root not found: ')
    assert 'flowers2' in msg and 'memory' not in msg


def test_missing_stats_file_is_reported_as_itself(tmp_path, monkeypatch,
                                                  no_measurement):
    root = tmp_path / 'flowers2'
    for c in ('a', 'b'):
        (root / c).mkdir(parents=True)
    monkeypatch.setenv('DATA_ROOT', str(root))
    monkeypatch.setenv('NUM_CLASSES', '2')
    msg = run_train(['configs/search/ddarts_custom.py'], tmp_path,
                    monkeypatch)
    assert msg.startswith('error: ') and 'dataset_stats.json: no ' \
        'normalisation statistics; compute them once with `python ' \
        'tools/analysis_tools/dataset_stats.py' in msg
    assert 'memory' not in msg and 'exit code -9' not in msg \
        and '\n' not in msg


@pytest.mark.parametrize('options,expected', [
    (['optim_wrapper.dtype=bfloat16'],
     'error: optim_wrapper.dtype is an AMP option'),
    (['model.architecture.compile.no_such_key=1'],
     "error: the config's model does not build: "),
    (['model.architecture.num_cells=5'],
     "error: the config's model does not build: ValueError: "
     'DARTOptiSupernet: num_cells=5'),
])
def test_config_errors_before_the_measurement(options, expected, tmp_path,
                                              monkeypatch, no_measurement):
    config = ('configs/search/dartopti_resnet18_digits.py'
              if 'num_cells=5' in options[0] else
              'configs/search/ddarts_digits.py')
    msg = run_train([config, '--cfg-options', *options], tmp_path,
                    monkeypatch)
    assert msg.startswith(expected), msg
    assert 'Skip the check' not in msg and 'killed' not in msg
    assert msg.count(expected.split(': ', 1)[-1][:30]) == 1


def test_missing_resume_file_first(tmp_path, monkeypatch, no_measurement):
    msg = run_train(['configs/search/ddarts_digits.py', '--resume',
                     'work_dirs/nope/epoch_2.pth'], tmp_path, monkeypatch)
    assert msg == ('error: --resume: checkpoint not found: '
                   'work_dirs/nope/epoch_2.pth')


def toy_cfg(tmp_path):
    from test_memory_estimate import toy_search_cfg
    cfg = toy_search_cfg(channels=4)
    cfg.launcher = 'none'
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg = dict(type='mmddarts.SearchEpochBasedTrainLoop')
    return cfg


@pytest.mark.parametrize('exc,wanted,unwanted', [
    (MeasurementDied(-9, [2, 4]),
     ["SIGKILL, the kernel's out-of-memory killer", 'exit code -9'], []),
    (MeasurementDied(-11, [2, 4]), ['exit code -11', 'crashed'],
     ['out-of-memory', 'SIGKILL']),
    (MeasurementError('MemoryError: ', is_oom=True),
     ['ran out of memory already at batches [2, 4]'], ['SIGKILL']),
])
def test_measurement_failures_say_what_happened(exc, wanted, unwanted,
                                                tmp_path, monkeypatch):
    def fail(*a, **k):
        raise exc
    monkeypatch.setattr(pf, 'estimate_search_memory', fail)
    with pytest.raises(SystemExit) as err:
        pf.run_preflight(toy_cfg(tmp_path))
    msg = str(err.value)
    for w in wanted:
        assert w in msg, msg
    for u in unwanted:
        assert u not in msg, msg


def test_a_child_error_is_reported_once_without_memory_advice(
        tmp_path, monkeypatch):
    def fail(*a, **k):
        raise MeasurementError('TypeError: bad argument x', trace='...')
    monkeypatch.setattr(pf, 'estimate_search_memory', fail)
    with pytest.raises(SystemExit) as err:
        pf.run_preflight(toy_cfg(tmp_path))
    msg = str(err.value)
    assert msg.startswith('error: TypeError: bad argument x')
    assert msg.count('bad argument x') == 1
    assert 'could not measure' not in msg and 'killed' not in msg


def test_a_progress_line_precedes_the_measurement(tmp_path, monkeypatch):
    events = []
    monkeypatch.setattr(pf, '_log', lambda msg, level='INFO':
                        events.append(('log', msg)))

    def measure(*a, **k):
        events.append(('measure', None))
        return MemoryFit(fixed=1 * MiB, per_image=1 * MiB, batches=(2, 4),
                         peaks=(3 * MiB, 5 * MiB))
    monkeypatch.setattr(pf, 'estimate_search_memory', measure)
    pf.run_preflight(toy_cfg(tmp_path))
    kinds = [e[0] for e in events]
    first = kinds.index('measure')
    assert any('measuring the memory' in m for k, m in events[:first]
               if k == 'log')


def suggested_options(msg):
    """The --cfg-options / flags of the 'batch N fits' fix."""
    line = next(ln for ln in msg.splitlines() if 'fits' in ln
                and '--cfg-options' in ln)
    opts = line.split('--cfg-options ', 1)[1].split(' --auto-scale-lr')[0]
    return int(re.search(r'batch (\d+) fits', line).group(1)), \
        opts.split(), line


@pytest.mark.parametrize('config', ['configs/search/ddarts_digits.py',
                                    'configs/search/ddarts_c100.py'])
def test_each_suggested_fix_works(config, monkeypatch):
    """The refusal's batch fix, applied by tools/train.py's own parser and
    merge_args, passes the same check (same fit, same budget) at the batch
    --auto-batch picks; the other fixes name keys the config has."""
    fit = MemoryFit(fixed=100 * MiB, per_image=10 * MiB, batches=(2, 4),
                    peaks=(120 * MiB, 140 * MiB))
    budget = 400 * MiB
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.model.arch_strategy.ablation = 'exact'
    settings = dict(pf.DEFAULTS)
    d = pf.decide(cfg, settings, fit, budget, 'cpu')
    assert d['action'] == 'refuse'
    msg = pf.refusal_message(cfg, d)
    batch, opts, line = suggested_options(msg)
    auto = pf.decide(cfg, dict(settings, auto_batch=True), fit, budget,
                     'cpu')
    assert auto['action'] == 'auto' and auto['best'] == batch
    tool = train_tool()
    args = tool.parse_args([osp.join(REPO, config), '--cfg-options', *opts,
                            '--auto-scale-lr'])
    fixed = merge_train_args(Config.fromfile(osp.join(REPO, config)), args)
    fixed.model.arch_strategy.ablation = 'exact'
    again = pf.decide(fixed, settings, fit, budget, 'cpu')
    assert again['action'] == 'ok' and again['batch'] == batch
    assert fixed.auto_scale_lr.enable is True
    # the learning rates scale as --auto-batch scales them
    auto_cfg = Config.fromfile(osp.join(REPO, config))
    base = pf._apply_auto_batch(auto_cfg, auto, world_size=1)
    assert fixed.auto_scale_lr.base_batch_size == base
    for key in ('num_cells', 'channels'):
        if f'model.architecture.{key}=' in msg:
            assert key in cfg.model.architecture
    if '--auto-scale-lr' in msg and 'auto_scale_lr' not in cfg:
        assert 'auto_scale_lr.base_batch_size=' in line
