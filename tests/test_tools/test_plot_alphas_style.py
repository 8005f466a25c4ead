"""alpha_plots.py: one colour and one marker per op of the 12-op set,
heatmap rows named like the logs' edges, integer epoch ticks, and the
default output in the work dir."""
import json
import os
import os.path as osp

import numpy as np
import pytest

pytest.importorskip('matplotlib')

from matplotlib.colors import to_hex  # noqa: E402

from mmddarts.structures.op_sets import EXTENDED_OPS  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmddarts.analysis import alpha_plots  # noqa: E402
from mmddarts.testing.tools import load_tool  # noqa: E402

plot_alphas_tool = load_tool('tools/analysis_tools/plot_alphas.py')


def _history(work, epochs=(1, 2, 3), steps=4, op_set='extended'):
    """A 2-owner history over the 12 extended ops (14 edges each)."""
    rng = np.random.default_rng(0)
    n_edges = sum(2 + i for i in range(steps))
    recs = []
    for ep in epochs:
        recs.append({
            'epoch': ep, 'owners': ['cell0', 'cell1'], 'mixing': 'sigmoid',
            'alphas': {o: rng.normal(size=(n_edges, 12)).tolist()
                       for o in ('cell0', 'cell1')},
            'genotypes': {'sparse': {'op_set': op_set}}})
    os.makedirs(work, exist_ok=True)
    with open(osp.join(work, 'search_history.jsonl'), 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in recs)
    return recs


def test_every_op_has_its_own_colour_and_marker(tmp_path):
    recs = _history(str(tmp_path))
    fig = alpha_plots.alpha_curves_figure(recs)
    lines = fig.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == list(EXTENDED_OPS)
    colours = {to_hex(ln.get_color()) for ln in lines}
    markers = {ln.get_marker() for ln in lines}
    assert len(colours) == 12 and len(markers) == 12
    # the same op keeps its style in every panel
    for ax in fig.axes[1:2]:
        assert [to_hex(ln.get_color()) for ln in ax.get_lines()] == \
            [to_hex(ln.get_color()) for ln in lines]
    # with 'none' (softmax search) there are 13, still all distinct
    styles = {alpha_plots.op_style(op, i)
              for i, op in enumerate(('none', ) + EXTENDED_OPS)}
    assert len({c for c, _ in styles}) == 13
    assert len({m for _, m in styles}) == 13


def test_epoch_ticks_are_integers(tmp_path):
    recs = _history(str(tmp_path), epochs=(1, 2, 3))
    fig = alpha_plots.alpha_curves_figure(recs)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig).draw()
    ticks = [t for t in fig.axes[0].get_xticks() if 1 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_heatmap_rows_are_named_edges_with_readable_labels(tmp_path):
    recs = _history(str(tmp_path))
    fig = alpha_plots.alpha_heatmaps_figure(recs[-1])
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == ['2<-0', '2<-1', '3<-0', '3<-1', '3<-2', '4<-0', '4<-1',
                    '4<-2', '4<-3', '5<-0', '5<-1', '5<-2', '5<-3', '5<-4']
    cols = ax.get_xticklabels()
    assert [t.get_text() for t in cols] == list(EXTENDED_OPS)
    assert min(t.get_fontsize() for t in cols + ax.get_yticklabels()) >= 8
    # 5 edges: a 2-step cell; 4 is no DARTS cell's count
    assert alpha_plots.edge_names(5) == ['2<-0', '2<-1', '3<-0', '3<-1',
                                         '3<-2']
    assert alpha_plots.edge_names(4) == [f'edge {k}' for k in range(4)]


def test_default_output_goes_to_the_work_dir(tmp_path, monkeypatch):
    work = tmp_path / 'work'
    _history(str(work))
    cwd = tmp_path / 'elsewhere'
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    plot_alphas_tool.main([str(work)])
    assert (work / 'alphas.png').is_file()
    assert os.listdir(cwd) == []
    # the history file itself: its folder is the work dir
    os.remove(work / 'alphas.png')
    plot_alphas_tool.main([str(work / 'search_history.jsonl')])
    assert (work / 'alphas.png').is_file()
    # an explicit --out is taken as given
    plot_alphas_tool.main([str(work), '--out', 'mine.png'])
    assert (cwd / 'mine.png').is_file()
