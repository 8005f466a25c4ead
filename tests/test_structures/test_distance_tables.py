"""Op-score tables (mean = the authors' op_stats.json, median = the paper's
Table 1) and the authors' mixed-depth rule (align='truncate'), checked by
hand and against the authors' published numbers."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmddarts.engine.hooks.distance_hooks import ArchDistanceHook
from mmddarts.structures.baselines import get_baseline
from mmddarts.structures.distance import (ALIGN_MODES, OpScores,
                                          cell_distances, distance_matrix,
                                          genotype_distance)
from mmddarts.structures.genotype import Genotype

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REF = osp.join(REPO, 'tests', 'data', 'reference', 'd-darts')


def _table(name):
    with open(osp.join(REF, name)) as f:
        return json.load(f)


MEAN = _table('op_stats.json')           # the authors' op_stats.json
MEDIAN = _table('op_stats_median.json')  # the authors' op_stats_2.json


def geno(*cells):
    """One 1-node cell per op, the op on edge 2 <- 0 (edge 2 <- 1 empty)."""
    genes = [[(op, 2, 0)] for op in cells]
    return Genotype(genes=genes, seq=list(range(len(genes))), reductions=[],
                    steps=1, op_set='extended')


def test_tables_are_labelled_and_packaged_verbatim():
    mean, median = OpScores.from_any('mean'), OpScores.from_any('median')
    assert mean.statistic == 'mean' and median.statistic == 'median'
    assert dict(zip(mean.names, mean.weights)) == MEAN
    assert dict(zip(median.names, median.weights)) == MEDIAN
    # the default is the mean table, under its labelled file name
    default = OpScores.from_any(None)
    assert default.statistic == 'mean'
    assert osp.basename(default.source) == 'op_stats_mean.json'
    assert 'mean' in repr(default)
    # a user's file is no packaged table
    assert OpScores.from_any(dict(MEAN)).statistic is None


def test_median_table_is_the_papers_table_1():
    # The paper's Table 1 (values lost in our copy of the text) reports the
    # MEDIAN score over all edges, and its text says dil_conv_3x3 and
    # dil_conv_5x5 are 'only 0.03 % apart': true of the medians only.
    assert round(MEDIAN['dil_conv_5x5'] - MEDIAN['dil_conv_3x3'], 2) == 0.03
    assert round(MEAN['dil_conv_5x5'] - MEAN['dil_conv_3x3'], 2) == 0.16


def test_median_scores_change_the_distance_by_hand():
    # cells {skip on 2<-0, empty 2<-1} vs {sep3 on 2<-0, empty 2<-1}: each
    # op row is nearest to the empty row, Hausdorff = max(w_skip, w_sep3)/W
    a, b = geno('skip_connect'), geno('sep_conv_3x3')
    for table, name in ((MEAN, 'mean'), (MEDIAN, 'median')):
        want = max(table['skip_connect'], table['sep_conv_3x3']) / \
            sum(table.values())
        assert genotype_distance(a, b, scores=name) == pytest.approx(
            want, rel=1e-12)
    assert genotype_distance(a, b) == genotype_distance(a, b, scores='mean')


def test_published_resnet_distance_is_reproduced_by_the_mean_table():
    # The authors' distances.csv (github.com/aheuillet/D-DARTS, behind the
    # paper's Fig. 9) gives ResNet18 - ResNet50 = 0.084. By hand: ResNet18's
    # rows {simple_conv_3x3}, {skip}, {} vs ResNet50's {bottleneck, skip},
    # {}: Hausdorff = max(w_simple3, w_bottleneck) / W in every cell.
    r18, r50 = get_baseline('resnet18'), get_baseline('resnet50')
    for table, name, published in ((MEAN, 'mean', 0.084),
                                   (MEDIAN, 'median', 0.083)):
        want = max(table['simple_conv_3x3'], table['bottleneck_1x3x1']) / \
            sum(table.values())
        for align in ALIGN_MODES[:1] + ('truncate', ):
            d = genotype_distance(r18, r50, scores=name, align=align)
            assert d == pytest.approx(want, rel=1e-12)
            assert round(d, 3) == published  # median: 0.08349 -> 0.083


def test_truncate_averages_the_common_cells_by_hand():
    w = sum(MEAN.values())
    a = geno('sep_conv_3x3', 'skip_connect')
    b = geno('sep_conv_3x3', 'sep_conv_3x3', 'max_pool_3x3')
    d1 = max(MEAN['skip_connect'], MEAN['sep_conv_3x3']) / w
    d_extra = MEAN['max_pool_3x3'] / w  # {mp}, {} vs the empty cell {}
    cells = cell_distances(a, b, align='truncate')
    assert cells.tolist() == pytest.approx([0.0, d1])
    assert genotype_distance(a, b, align='truncate') == pytest.approx(d1 / 2)
    assert genotype_distance(b, a, align='truncate') == pytest.approx(d1 / 2)
    # pad (default) counts the extra cell against an empty one
    assert genotype_distance(a, b) == pytest.approx((d1 + d_extra) / 3)
    # a network is at 0 from a deeper one that starts with its cells
    assert genotype_distance(geno('sep_conv_3x3'), b,
                             align='truncate') == 0.0
    mat = distance_matrix([a, b, a], align='truncate')
    assert mat[0, 1] == pytest.approx(d1 / 2) and mat[0, 2] == 0.0


def test_truncate_refuses_a_common_depth():
    a, b = geno('sep_conv_3x3'), geno('sep_conv_3x3', 'skip_connect')
    with pytest.raises(ValueError, match="needs align='pad'"):
        cell_distances(a, b, align='truncate', num_cells=3)
    with pytest.raises(ValueError, match="common_depth=True needs "
                       "align='pad'"):
        distance_matrix([a, b], align='truncate', common_depth=True)


def test_hook_accepts_median_and_truncate():
    hook = ArchDistanceHook(scores='median', align='truncate')
    assert hook.scores.statistic == 'median' and hook.align == 'truncate'
    with pytest.raises(FileNotFoundError, match='packaged table: mean, '
                       'median'):
        ArchDistanceHook(scores='medians')


def _cli(*args, cwd):
    return subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'analysis_tools',
                                  'arch_distance.py'), *args],
        cwd=cwd, capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1'))


def test_cli_scores_and_align(tmp_path):
    a = geno('sep_conv_3x3', 'skip_connect')
    b = geno('sep_conv_3x3', 'sep_conv_3x3', 'max_pool_3x3')
    a.save(str(tmp_path / 'a.json'))
    b.save(str(tmp_path / 'b.json'))
    w = sum(MEDIAN.values())
    d1 = max(MEDIAN['skip_connect'], MEDIAN['sep_conv_3x3']) / w
    out = _cli('a.json', 'b.json', '--scores', 'median', '--align',
               'truncate', '--per-cell', '--precision', '9', cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split()
    assert float(lines[0]) == pytest.approx(d1 / 2, abs=1e-9)
    assert out.stdout.count('cell ') == 2  # only the common cells
    out = _cli('a.json', 'b.json', '--scores', 'nope', cwd=tmp_path)
    assert out.returncode == 1
    assert 'packaged table: mean, median' in out.stderr
