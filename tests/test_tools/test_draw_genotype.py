"""tools/draw_genotype.py and the matplotlib genotype drawer."""
import os.path as osp
import struct
import subprocess
import sys

import pytest

pytest.importorskip('matplotlib')

from mmddarts.structures.baselines import get_baseline  # noqa: E402
from mmddarts.structures import Genotype  # noqa: E402
from mmddarts.visualization.genotype_drawer import (  # noqa: E402
    cell_groups, draw_genotype)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def png_size(path):
    """(width, height) from the IHDR chunk, checking the PNG signature."""
    with open(path, 'rb') as f:
        head = f.read(24)
    assert head[:8] == PNG_MAGIC
    assert head[12:16] == b'IHDR'
    return struct.unpack('>II', head[16:24])


def titled_axes(fig):
    return [ax for ax in fig.axes if ax.get_title()]


def test_one_panel_per_cell(tmp_path):
    g = Genotype(genes=[[('sep_conv_3x3', 2, 0), ('skip_connect', 2, 1),
                         ('dil_conv_3x3', 3, 2), ('sep_conv_5x5', 3, 2)],
                        [('max_pool_3x3', 2, 0), ('avg_pool_3x3', 3, 1)],
                        [('sep_conv_3x3', 2, 1)]],
                 seq=[0, 1, 2], reductions=[1])
    out = tmp_path / 'cells.png'
    fig = draw_genotype(g, str(out), per_cell=True, dpi=50)
    assert osp.getsize(out) > 5000
    width, height = png_size(out)
    assert width > height > 50  # 3 panels side by side
    titles = [ax.get_title() for ax in titled_axes(fig)]
    assert titles == ['normal - cell 0 (gene 0)',
                      'reduction - cell 1 (gene 1)',
                      'normal - cell 2 (gene 2)']
    # both ops of the (2 -> 3) pair are in one label
    texts = [t.get_text() for t in titled_axes(fig)[0].texts]
    assert '3<-2  dil 3x3 + sep 5x5' in texts


def test_shared_cells_grouped():
    # Xception: gene 0 is used by normal cell 0 and reduction cells 1, 2, 11
    groups = cell_groups(get_baseline('xception'))
    assert groups == [(0, False, [0]), (0, True, [1, 2, 11]),
                      (1, False, [3, 4, 5, 6, 7, 8, 9, 10]),
                      (2, True, [12])]
    fig = draw_genotype(get_baseline('xception'))
    assert [ax.get_title() for ax in titled_axes(fig)][1:3] == [
        'reduction - cells 1-2, 11 (gene 0)',
        'normal - cells 3-10 (gene 1)']
    assert len(cell_groups(get_baseline('xception'), per_cell=True)) == 13


def test_cli_writes_png(tmp_path):
    src = osp.join(ROOT, 'configs', 'genotypes', 'ddarts_c10_sparse.json')
    out = tmp_path / 'dd1.png'
    res = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'draw_genotype.py'), src,
         '--out', str(out), '--per-cell', '--dpi', '40'],
        capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert '8 panel(s) for 8 cells' in res.stdout
    width, height = png_size(out)
    assert osp.getsize(out) > 10000
    assert width > 100 and height > 100
    bad = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'draw_genotype.py'),
         str(tmp_path / 'missing.json')], capture_output=True, text=True,
        timeout=120)
    assert bad.returncode != 0 and 'genotype file not found' in bad.stderr
