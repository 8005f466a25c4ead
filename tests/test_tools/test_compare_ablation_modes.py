"""compare_ablation_modes.py (mmddarts.analysis.ablation_modes): argument
checks, run plan, commands, the
aggregation and the summary (not the heavy searches themselves)."""
import json
import math
import os.path as osp

import pytest

from mmddarts.analysis import ablation_modes as am
from mmddarts.structures import Genotype
from mmddarts.testing.tools import load_tool
from mmddarts.testing.op_scores import MEAN_OP_SCORES

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the packaged default ('mean') op scores, written out by hand
SCORES = MEAN_OP_SCORES


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/analysis_tools/compare_ablation_modes.py')


def test_defaults_are_three_modes_five_seeds(tool):
    args = tool.parse_args([])
    assert args.modes == ['exact', 'reference', 'none']
    assert args.seeds == [0, 1, 2, 3, 4]
    assert args.search_config == 'configs/search/ddarts_digits.py'
    assert args.train_config == 'configs/train/ddarts_digits.py'
    assert args.search_epochs is None and args.train_epochs == 10


@pytest.mark.parametrize('argv,message', [
    (['--modes', 'exact', 'fast'], 'unknown ablation mode'),
    (['--modes', 'none', 'none'], 'repeats a mode'),
    (['--seeds', '1', '1'], 'repeats a seed'),
    (['--train-epochs', '0'], '--train-epochs must be >= 1'),
])
def test_bad_arguments(tool, argv, message, capsys):
    with pytest.raises(SystemExit):
        tool.parse_args(argv)
    assert message in capsys.readouterr().err


def test_plan_is_seed_major_and_skips_done(tool):
    assert am.plan(['exact', 'none'], [3, 7], done=[('none', 3)]) == [
        ('exact', 3), ('exact', 7), ('none', 7)]


def test_commands(tool, tmp_path):
    args = tool.parse_args(['--search-epochs', '2', '--train-epochs', '3'])
    cmd = am.search_cmd(args, 'reference', 4, 'W', python='PY')
    assert cmd[:3] == ['PY', 'tools/train.py',
                       'configs/search/ddarts_digits.py']
    assert cmd[cmd.index('--work-dir') + 1] == 'W'
    opts = cmd[cmd.index('--cfg-options') + 1:]
    assert sorted(opts) == ['model.arch_strategy.ablation=reference',
                            'randomness.seed=4', 'train_cfg.max_epochs=2']
    cmd = am.train_cmd(args, 'g.json', 4, 9, 'T', python='PY')
    assert cmd[2] == 'configs/train/ddarts_digits.py'
    opts = cmd[cmd.index('--cfg-options') + 1:]
    assert sorted(opts) == ['model.backbone.genotype=g.json',
                            'model.backbone.num_cells=4',
                            'randomness.seed=9', 'train_cfg.max_epochs=3']
    # without --search-epochs the config's epochs stay
    args = tool.parse_args([])
    assert not any('max_epochs' in c
                   for c in am.search_cmd(args, 'none', 0, 'W'))


def test_last_accuracy_reads_the_last_evaluation(tool):
    lines = [json.dumps(dict(lr=0.1, loss=2.0, step=10)),
             json.dumps({'accuracy/top1': 80.5, 'step': 1}), '',
             json.dumps(dict(lr=0.05, loss=1.0, step=20)),
             json.dumps({'accuracy/top1': 91.25, 'step': 2}),
             json.dumps(dict(lr=0.01, loss=0.5, step=30))]
    assert am.last_accuracy(lines) == 91.25
    assert am.last_accuracy([json.dumps(dict(loss=1.0))]) is None


def test_mean_and_sample_std(tool):
    mean, std = am.mean_std([1, 2, 3, 4])
    assert mean == 2.5
    assert std == pytest.approx(math.sqrt(5 / 3))  # ddof = 1
    mean, std = am.mean_std([7])
    assert mean == 7 and math.isnan(std)


def _runs():
    acc = {'exact': [90, 92, 94], 'none': [95, 96, 97]}
    params = {'exact': [1000, 1000, 1300], 'none': [2000, 2000, 2000]}
    return [dict(mode=m, seed=s, test_acc=acc[m][i], params=params[m][i],
                 search_s=10.0 * (i + 1), train_s=5.0, genotype='x')
            for m in acc for i, s in enumerate((0, 1, 2))]


def test_summarise(tool):
    out = am.summarise(_runs(), ['exact', 'none', 'reference'])
    assert out['exact']['n'] == 3 and out['exact']['seeds'] == [0, 1, 2]
    assert out['exact']['acc_mean'] == 92 and out['exact']['acc_std'] == 2
    assert out['exact']['params_mean'] == 1100
    assert out['exact']['params_std'] == pytest.approx(math.sqrt(30000))
    assert out['none']['acc_mean'] == 96 and out['none']['params_std'] == 0
    assert out['exact']['search_s'] == 20
    assert out['reference']['n'] == 0
    assert math.isnan(out['reference']['acc_mean'])


def test_distance_summary_pairs(tool):
    # numbers as stand-in genotypes, |a - b| as the distance
    genos = {('exact', 0): 1.0, ('exact', 1): 2.0, ('exact', 2): 4.0,
             ('none', 0): 1.5, ('none', 1): 2.0,  # seed 2 missing
             ('reference', 0): 0.0}
    out = am.distance_summary(genos, ['exact', 'none', 'reference'],
                              lambda a, b: abs(a - b))
    assert out['exact vs none'] == [0.5, 0.0]          # seeds 0, 1
    assert out['exact vs reference'] == [1.0]          # seed 0
    assert out['none vs reference'] == [1.5]
    assert sorted(out['exact seeds']) == [1.0, 2.0, 3.0]
    assert out['none seeds'] == [0.5]
    assert out['reference seeds'] == []


def test_markdown_table(tool):
    summary = am.summarise(_runs(), ['exact', 'none'])
    text = am.markdown(summary, {'exact vs none': [0.5, 0.0],
                                 'exact seeds': [1.0, 2.0, 3.0]}, 'B')
    assert text.startswith('Budget: B.')
    assert '| `exact` | 3 | 92.00 ± 2.00 | 1,100 ± 173 | 20 / 5 | ' \
        '90.00, 92.00, 94.00 |' in text
    assert '| `exact` vs `none`, same seed | 2 | 0.250 ± 0.354 |' in text
    assert '| `exact`, different seeds | 3 | 2.000 ± 1.000 |' in text


def _one_cell(op, **meta):
    return Genotype(genes=[[(op, 2, 0)]], seq=[0], reductions=[], steps=1,
                    op_set='extended', meta=meta)


def test_aggregate_only_end_to_end(tool, tmp_path):
    """Recorded runs -> summary files, the distances computed on real
    genotype files and checked by hand."""
    gdir = tmp_path / 'g'
    gdir.mkdir()
    paths = {}
    for name, op in (('skip', 'skip_connect'), ('sep', 'sep_conv_3x3')):
        paths[name] = str(gdir / f'{name}.json')
        # the sep cell was kept by the empty-gene fallback (owner 0)
        _one_cell(op, empty_fallback=[0] if name == 'sep' else []).save(
            paths[name])
    runs = [
        dict(mode='exact', seed=0, genotype=paths['sep'], test_acc=90.0,
             params=100, search_s=1.0, train_s=1.0, search_epochs=None,
             train_epochs=10),
        dict(mode='exact', seed=1, genotype=paths['sep'], test_acc=92.0,
             params=100, search_s=1.0, train_s=1.0, search_epochs=None,
             train_epochs=10),
        dict(mode='none', seed=0, genotype=paths['skip'], test_acc=94.0,
             params=80, search_s=1.0, train_s=1.0, search_epochs=None,
             train_epochs=10),
        dict(mode='none', seed=1, genotype=paths['sep'], test_acc=96.0,
             params=100, search_s=1.0, train_s=1.0, search_epochs=None,
             train_epochs=10),
        # another budget: never mixed into this summary
        dict(mode='none', seed=2, genotype=paths['skip'], test_acc=10.0,
             params=1, search_s=1.0, train_s=1.0, search_epochs=1,
             train_epochs=10),
    ]
    # recorded by two copies of the tool, one per mode; the second copy
    # also recorded exact seed 0 again (counted once)
    work, other = tmp_path / 'w', tmp_path / 'other'
    work.mkdir()
    other.mkdir()
    (work / 'runs.jsonl').write_text(
        ''.join(json.dumps(r) + '\n' for r in runs[:2]))
    (other / 'runs.jsonl').write_text(
        ''.join(json.dumps(r) + '\n' for r in runs[2:] + [
            dict(runs[0], test_acc=0.0)]))
    assert tool.main(['--aggregate-only', '--modes', 'exact', 'none',
                      '--seeds', '0', '1', '2', '--work-dir',
                      str(work), '--runs-from', str(other)]) == 0
    out = json.loads((work / 'summary.json').read_text())
    assert out['summary']['none']['n'] == 2
    assert out['summary']['none']['acc_mean'] == 95.0
    assert out['summary']['exact']['test_acc'] == [90.0, 92.0]
    # seed 0: {skip on 2<-0, empty 2<-1} vs {sep3 on 2<-0, empty 2<-1}:
    # the sep3 row is nearest to the empty row (w_sep3 / W), the skip row
    # too (w_skip / W): Hausdorff = w_sep3 / W; seed 1: identical -> 0
    d = SCORES['sep_conv_3x3'] / sum(SCORES.values())
    assert out['distances']['exact vs none'] == pytest.approx([d, 0.0])
    assert out['distances']['exact seeds'] == [0.0]
    assert out['distances']['none seeds'] == pytest.approx([d])
    text = (work / 'summary.md').read_text()
    assert '| `none` | 2 | 95.00 ± 1.41 |' in text
    # one op per one-cell genotype, no fallback recorded in their meta
    assert out['summary']['none']['ops_mean'] == 1.0
    assert out['summary']['none']['fallback_cells'] == 1   # seed 1
    assert out['summary']['exact']['fallback_cells'] == 2  # seeds 0, 1


def test_aggregate_only_without_runs_fails(tool, tmp_path, capsys):
    assert tool.main(['--aggregate-only', '--work-dir',
                      str(tmp_path)]) == 1
    assert 'no runs recorded' in capsys.readouterr().err


def test_aggregate_only_from_other_dirs_with_an_empty_own_one(
        tool, tmp_path, capsys):
    """Issue 20: --aggregate-only --runs-from DIR with nothing in the own
    work dir and no budget flags takes the budget of the recorded runs."""
    gdir = tmp_path / 'g'
    gdir.mkdir()
    path = str(gdir / 'skip.json')
    _one_cell('skip_connect').save(path)
    other = tmp_path / 'other'
    other.mkdir()
    runs = [dict(mode='none', seed=s, genotype=path, test_acc=90.0 + s,
                 params=80, search_s=1.0, train_s=1.0, search_epochs=2,
                 train_epochs=3) for s in (0, 1)]
    (other / 'runs.jsonl').write_text(
        ''.join(json.dumps(r) + '\n' for r in runs))
    work = tmp_path / 'empty_own'
    assert tool.main(['--aggregate-only', '--modes', 'none', '--seeds', '0',
                      '1', '--work-dir', str(work), '--runs-from',
                      str(other)]) == 0
    out = json.loads((work / 'summary.json').read_text())
    assert out['summary']['none']['test_acc'] == [90.0, 91.0]
    assert '2 search epochs' in out['budget']
    # an explicit other budget still finds nothing, and says what exists
    assert tool.main(['--aggregate-only', '--modes', 'none', '--seeds', '0',
                      '--train-epochs', '10', '--work-dir', str(work),
                      '--runs-from', str(other)]) == 1
    err = capsys.readouterr().err
    assert 'no runs recorded' in err and '(2, 3)' in err
