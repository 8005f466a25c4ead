"""tools/analysis_tools/ablation_conditioning.py on a toy supernet."""
import csv
import io
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmddarts.testing.tools import load_tool  # noqa: E402

ablation_conditioning = load_tool(
    'tools/analysis_tools/ablation_conditioning.py')

pytest.importorskip('sklearn')


def _rows(capsys, *extra):
    ablation_conditioning.main(['--cells', '3', '--C', '4', '--batch', '8',
                                '--img', '8', '--batches', '2', *extra])
    out = capsys.readouterr().out.splitlines()
    assert 'guard rel_eps=' in out[0]
    return list(csv.DictReader(io.StringIO('\n'.join(out[1:]))))


@pytest.mark.parametrize('rel_eps', ['0.0', '0.999'])
def test_columns_agree_with_each_other(capsys, rel_eps):
    rows = _rows(capsys, '--rel-eps', rel_eps)
    assert len(rows) == 2
    for r in rows:
        m, mean_abs = float(r['m']), float(r['mean_abs_mc'])
        assert float(r['ratio']) == pytest.approx(abs(m) / mean_abs,
                                                  abs=1e-3)
        ce, abl = float(r['ce_grad_norm']), float(r['abl_grad_norm'])
        assert ce > 0 and abl > 0  # the tool measures the unguarded term
        assert float(r['abl_over_ce']) == pytest.approx(abl / ce, abs=0.1)
        # |m| <= mean|mc| always, so 0.999 guards (almost) everything
        assert int(r['guarded']) == int(abs(m) <= float(rel_eps) * mean_abs)
