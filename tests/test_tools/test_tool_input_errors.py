"""Every tool that reads an input file ends with ONE line naming it when
the file is missing or is not what it should be (no traceback)."""
import io
import os
import os.path as osp
import runpy
import subprocess
import sys
from contextlib import redirect_stderr

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(REPO, 'configs', 'train', 'ddarts_digits.py')
GENO = osp.join(REPO, 'configs', 'genotypes', 'darts-v2.json')


def run_tool(tool, argv):
    """Run ``tools/<tool>`` as ``__main__`` in this process; return
    (exit code, what the user sees on stderr). Any exception other than
    SystemExit (a traceback for the user) fails the test."""
    path = osp.join(REPO, 'tools', tool)
    old_argv = sys.argv
    sys.argv = [path] + [str(a) for a in argv]
    err = io.StringIO()
    try:
        with redirect_stderr(err):
            runpy.run_path(path, run_name='__main__')
        code = 0
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = old_argv
    seen = err.getvalue()
    if isinstance(code, str):  # the interpreter prints it to stderr
        seen += code + '\n'
        code = 1
    return code, seen


def missing(tmp_path, name):
    return str(tmp_path / 'no_such_dir' / name)


CASES = {
    'train': ('train.py', lambda m: [m('cfg.py')], 'cfg.py'),
    'train_non_config': ('train.py', lambda m: [GENO], 'darts-v2.json'),
    'test_config': ('test.py', lambda m: [m('cfg.py'), m('e.pth')], 'cfg.py'),
    'test_checkpoint': ('test.py', lambda m: [CFG, m('e.pth')], 'e.pth'),
    'get_flops': ('analysis_tools/get_flops.py', lambda m: [m('cfg.py')],
                  'cfg.py'),
    'draw_genotype': ('draw_genotype.py', lambda m: [m('g.json')], 'g.json'),
    'draw_genotype_not_json': ('draw_genotype.py', lambda m: [CFG],
                               'ddarts_digits.py'),
    'arch_distance': ('analysis_tools/arch_distance.py',
                      lambda m: [m('g.json'), GENO], 'g.json'),
    'arch_distance_scores': ('analysis_tools/arch_distance.py',
                             lambda m: [GENO, GENO, '--scores', m('s.json')],
                             's.json'),
    'plot_alphas': ('analysis_tools/plot_alphas.py', lambda m: [m('work')],
                    'work'),
    'plot_contributions': ('analysis_tools/plot_contributions.py',
                           lambda m: [m('work')], 'work'),
    'convert_genotypes': ('convert_genotypes.py',
                          lambda m: ['--ref-dir', m('ref'), '--out-dir',
                                     m('out')], 'ref'),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_missing_or_wrong_input_is_one_line(case, tmp_path):
    tool, argv, name = CASES[case]
    code, err = run_tool(tool, argv(lambda n: missing(tmp_path, n)))
    assert code not in (0, None), err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert name in lines[0] and 'Traceback' not in err
    assert not (tmp_path / 'no_such_dir').exists()  # nothing created


def test_config_that_fails_to_load_is_one_line(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('model = dict(\n')
    code, err = run_tool('train.py', [bad])
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 1 and len(lines) == 1 and 'bad.py' in lines[0], err


def test_get_flops_subprocess_prints_no_traceback(tmp_path):
    """As a user runs it (the issue's raw traceback)."""
    res = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools/analysis_tools/get_flops.py'),
         str(tmp_path / 'nope.py')], capture_output=True, text=True,
        timeout=120, env={'PYTHONPATH': REPO, 'PATH': os.defpath})
    assert res.returncode == 1
    assert res.stderr.strip() == \
        f'error: config file not found: {tmp_path / "nope.py"}'
