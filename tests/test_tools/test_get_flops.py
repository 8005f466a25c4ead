"""tools/analysis_tools/get_flops.py on a toy config: exact parameter count
without the auxiliary head, and FLOPs of a hand-countable part."""
import os.path as osp
import re
import subprocess
import sys

from mmddarts.models.backbones import DDartsNet
from mmddarts.structures import Genotype

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY = Genotype(
    genes=[[('skip_connect', 2, 0), ('max_pool_3x3', 2, 1),
            ('sep_conv_3x3', 3, 2)]],
    seq=[0, 0, 0],
    reductions=[1])

CONFIG = """
default_scope = 'mmpretrain'
model = dict(
    type='mmddarts.DDartsImageClassifier',
    backbone=dict(type='mmddarts.DDartsNet', genotype={genotype!r},
                  channels=4),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=7),
    aux_head=dict(type='mmddarts.AuxiliaryHeadCIFAR', num_classes=7))
"""


def run_tool(config, *args):
    out = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools/analysis_tools/get_flops.py'),
         str(config), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_get_flops_counts_params_without_aux_head(tmp_path):
    config = tmp_path / 'toy.py'
    config.write_text(CONFIG.format(genotype=TOY.to_dict()))
    stdout = run_tool(config, '--shape', '16', '16')
    net = DDartsNet(TOY, channels=4)
    # backbone + Linear(C_last=16, 7); the aux head is left out
    expected = sum(p.numel() for p in net.parameters()) + 16 * 7 + 7
    assert f'Params (without auxiliary head): {expected} ' in stdout
    assert 'Input shape: (3, 16, 16)' in stdout
    flops = int(re.search(r'Flops: \S+ \((\d+)\)', stdout).group(1))
    # the CIFAR stem alone: 3x3 conv 3 -> 12 channels on 16x16 = 3*9*12*256
    # multiply-adds; the whole net costs more than that and the total is
    # a fixed function of the shape.
    assert flops > 3 * 9 * 12 * 256
    stdout_big = run_tool(config, '--shape', '32')
    flops_big = int(re.search(r'Flops: \S+ \((\d+)\)', stdout_big).group(1))
    # every op is convolutional/pooling: 4x the pixels, 4x the FLOPs (the
    # linear head's 112 multiply-adds aside)
    assert abs(flops_big - 4 * flops) <= 3 * 16 * 7


def test_get_flops_matches_hand_count(tmp_path):
    """Two cells of one identity edge from node 1, no aux head:
    multiply-adds written out with mmengine's conventions (convs and
    linears: MACs; eval-mode BN: 2 per element; average pooling: 1 per
    input element; ReLU: free)."""
    g = Genotype(genes=[[('skip_connect', 2, 1)]], seq=[0, 0],
                 reductions=[])
    cfg = CONFIG.format(genotype=g.to_dict()).replace(
        "    aux_head=dict(type='mmddarts.AuxiliaryHeadCIFAR', "
        "num_classes=7))", ')')
    config = tmp_path / 'hand.py'
    config.write_text(cfg)
    stdout = run_tool(config, '--shape', '16', '16')
    flops = int(re.search(r'Flops: \S+ \((\d+)\)', stdout).group(1))
    px = 16 * 16
    stem = 3 * 9 * 12 * px + 2 * 12 * px  # 3x3 conv 3 -> 3C=12, BN
    # each cell only reads node 1 (the previous output): 1x1 conv + BN
    cell0 = 12 * 4 * px + 2 * 4 * px
    cell1 = 4 * 4 * px + 2 * 4 * px
    gap, linear = 4 * px, 4 * 7
    assert flops == stem + cell0 + cell1 + gap + linear


def test_default_shape_follows_the_stem():
    # ImageNet config (D-DARTS /4 stem): 224x224 without --shape
    out = run_tool(osp.join(ROOT, 'configs/train/do2-resnet18_in1k.py'),
                   '--cfg-options', 'model.backbone.channels=4')
    assert 'Input shape: (3, 224, 224)' in out
    out = run_tool(osp.join(ROOT, 'configs/train/do2-resnet18_c100.py'),
                   '--cfg-options', 'model.backbone.channels=4')
    assert 'Input shape: (3, 32, 32)' in out
