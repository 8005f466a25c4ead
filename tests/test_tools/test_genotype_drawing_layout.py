"""The genotype drawings number nodes as the JSON and the logs do, keep
every label apart even for the densest shipped genotypes, and mark the
ops of an empty-gene fallback."""
import glob
import itertools
import os.path as osp

import pytest

pytest.importorskip('matplotlib')

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from mmddarts.structures import Genotype  # noqa: E402
from mmddarts.structures.loading import load_genotype  # noqa: E402
from mmddarts.visualization.genotype_drawer import draw_genotype  # noqa

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SHIPPED = sorted(glob.glob(osp.join(ROOT, 'configs', 'genotypes', '*.json')))


def text_boxes(fig):
    """Window extents of every non-empty text of the figure (labels, node
    names, panel titles, figure title)."""
    # text extents need a renderer, not a drawn canvas
    renderer = FigureCanvasAgg(fig).get_renderer()
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += list(ax.texts) + [ax.title, ax._left_title, ax._right_title]
    return [(t.get_text(), t.get_window_extent(renderer)) for t in texts
            if t.get_visible() and t.get_text()]


def overlaps(boxes, tol=0.5):
    """Pairs of boxes that share more than ``tol`` pixels each way."""
    bad = []
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        w = min(a.x1, b.x1) - max(a.x0, b.x0)
        h = min(a.y1, b.y1) - max(a.y0, b.y0)
        if w > tol and h > tol:
            bad.append((ta, tb))
    return bad


def test_shipped_genotypes_are_twenty_and_include_dense_edge_parses():
    assert len(SHIPPED) == 20
    dense = load_genotype(osp.join(ROOT, 'configs', 'genotypes',
                                   'do-resnet50_c100_edge.json'))
    # 6-step cells with up to 2 ops on most of the 27 possible edges
    assert max(len(g) for g in dense.genes) == 53


@pytest.mark.parametrize('path', SHIPPED, ids=osp.basename)
def test_no_two_labels_overlap(path):
    fig = draw_genotype(path, dpi=50)
    boxes = text_boxes(fig)
    g = load_genotype(path)
    pairs = {(e.to, e.src) for gene in g.genes for e in gene}
    assert len(boxes) >= len(pairs)
    assert overlaps(boxes) == []
    # and every label lies inside the figure
    w, h = fig.canvas.get_width_height()
    for text, box in boxes:
        assert box.x0 >= -0.5 and box.y0 >= -0.5, text
        assert box.x1 <= w + 0.5 and box.y1 <= h + 0.5, text


def _toy(meta=None):
    return Genotype(genes=[[('sep_conv_3x3', 2, 0), ('skip_connect', 2, 1),
                            ('dil_conv_3x3', 3, 2), ('sep_conv_5x5', 3, 2),
                            ('max_pool_3x3', 5, 0)],
                           [('avg_pool_3x3', 2, 1)]],
                    seq=[0, 1, 0], reductions=[1], meta=meta or {})


def test_node_numbers_are_the_json_and_log_ones():
    fig = draw_genotype(_toy())
    normal = fig.axes[0]
    texts = [t.get_text() for t in normal.texts]
    # GenotypeExportHook logs an edge (op, to, src) as 'op to<-src'; the
    # drawing names the same pair 'to<-src' with the node numbers of the
    # JSON: inputs 0 and 1, intermediate nodes 2..5 (not 0..3).
    assert texts == [
        '0  input c$_{k-2}$', '1  input c$_{k-1}$',
        '2<-0  sep 3x3', '2<-1  skip',
        '3<-2  dil 3x3 + sep 5x5',
        '4  (no input: unused)',
        '5<-0  max 3x3',
        'out  concat(2, 3, 5)']
    # one arc per node pair, the two ops of 3<-2 share one
    assert len(normal.patches) == 4
    reduction = [t.get_text() for t in fig.axes[1].texts]
    assert '2<-1  avg 3x3' in reduction


# the parser's schema (one dict per gene, structures/parsing.py) and plain gene
# indices of older files
PARSER_FALLBACK = [dict(owner=1, cells=[1], op='avg_pool_3x3', to=2, src=1,
                        weight=0.7, threshold=0.85)]


@pytest.mark.parametrize('fallback', [[1], PARSER_FALLBACK])
def test_fallback_ops_are_dashed_and_labelled(fallback):
    fig = draw_genotype(_toy({'empty_fallback': fallback}))
    normal, reduction = fig.axes
    assert 'fallback' in reduction.get_title()
    assert 'fallback' not in normal.get_title()
    label = [t for t in reduction.texts if '2<-1' in t.get_text()][0]
    assert label.get_text() == '2<-1  avg 3x3 (fallback)'
    assert label.get_color() != 'black'
    (arc, ) = reduction.patches
    assert arc.get_linestyle() == '--'
    assert all(p.get_linestyle() == '-' for p in normal.patches)
    assert not any('fallback' in t.get_text() for t in normal.texts)
