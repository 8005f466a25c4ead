"""tools/analysis_tools/get_flops.py counts an ACA edge's smaller op:
parameters and multiply-adds against a hand count (docs/aca.md)."""
import os.path as osp
import re
import subprocess
import sys

from mmddarts.structures import Genotype

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = """
default_scope = 'mmpretrain'
model = dict(
    type='mmddarts.DDartsImageClassifier',
    backbone=dict(type='mmddarts.DDartsNet', genotype={genotype!r},
                  channels=6, aux_index=None),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=7))
"""


def run_tool(tmp_path, name, genotype):
    config = tmp_path / name
    config.write_text(CONFIG.format(genotype=genotype.to_dict()))
    out = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools/analysis_tools/get_flops.py'),
         str(config), '--shape', '16', '16'],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    flops = int(re.search(r'Flops: \S+ \((\d+)\)', out.stdout).group(1))
    params = int(re.search(r'Params \(without auxiliary head\): (\d+)',
                           out.stdout).group(1))
    return flops, params


def test_aca_edge_costs_its_channels(tmp_path):
    # two normal cells, one sep_conv_3x3 edge from node 1; ACA keeps half
    # of the 6 channels (ranks searched at 4 channels, built at 6)
    plain = Genotype(genes=[[('sep_conv_3x3', 2, 1)]], seq=[0, 0],
                     reductions=[])
    aca = plain.replace(allocations=[[{'fraction': 0.5,
                                       'ranks': [1, 0, 3, 2]}]])
    f_plain, p_plain = run_tool(tmp_path, 'plain.py', plain)
    f_aca, p_aca = run_tool(tmp_path, 'aca.py', aca)
    # SepConv(C): 2 x (depthwise 9C + pointwise C^2 + BN 2C) parameters,
    # and per pixel the same multiply-adds (eval BN: 2 per element)
    sep = lambda C: 2 * (9 * C + C * C + 2 * C)  # noqa: E731
    assert p_plain - p_aca == 2 * (sep(6) - sep(3))
    assert f_plain - f_aca == 2 * (sep(6) - sep(3)) * 16 * 16
