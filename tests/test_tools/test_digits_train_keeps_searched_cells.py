"""The README's digits command trains a searched genotype with every one of
its cells; Algorithm 1 says so when a fixed num_cells drops searched cells."""
import logging
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

from mmddarts.registry import MODELS
from mmddarts.structures import Genotype
from mmddarts.structures.expand import expand_genotype
from mmddarts.structures.loading import genotype_from_any

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _four_cells():
    # a 4-cell digits-search shape: reductions (1, 2), steps 3, distinct genes
    genes = [[('sep_conv_3x3', 2, 0)], [('max_pool_3x3', 2, 1)],
             [('skip_connect', 2, 0)], [('dil_conv_3x3', 2, 1)]]
    return Genotype(genes=genes, seq=[0, 1, 2, 3], reductions=[1, 2],
                    steps=3)


class _Records(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def log_records():
    logger = MMLogger.get_current_instance()
    handler = _Records()
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def _warnings(records):
    return [r.getMessage() for r in records if r.levelno == logging.WARNING]


def test_digits_config_builds_the_genotypes_own_cells(tmp_path, log_records):
    cfg = Config.fromfile(osp.join(REPO, 'configs/train/ddarts_digits.py'))
    assert cfg.model.backbone.num_cells is None
    path = str(tmp_path / 'genotype_sparse_final.json')
    _four_cells().save(path)
    cfg.model.backbone.genotype = path  # what the README's command sets
    cfg.model.backbone.channels = 4
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    net = model.backbone
    assert len(net.cells) == 4
    assert net.genotype.seq == (0, 1, 2, 3)
    # every searched gene is there, in order
    assert [net.genotype.gene(i)[0].op for i in range(4)] == [
        'sep_conv_3x3', 'max_pool_3x3', 'skip_connect', 'dil_conv_3x3']
    assert _warnings(log_records) == []
    model.eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 16, 16), mode='tensor')
    assert out.shape[-1] == 10


def test_shrinking_warns_with_the_counts(log_records):
    shrunk = expand_genotype(_four_cells(), 3)
    assert shrunk.num_cells == 3
    msgs = _warnings(log_records)
    assert len(msgs) == 1
    # 3 cells, reductions at 1, 2: the normal segment after cell 2 is empty,
    # so searched cell 3 is gone
    assert '3-cell network' in msgs[0] and '4-cell genotype' in msgs[0]
    assert 'drops 1 searched cell(s) [3]' in msgs[0]


def test_growing_or_identity_does_not_warn(log_records):
    expand_genotype(_four_cells(), 4)
    # (the digits layout has no normal cell between its reductions)
    expand_genotype(_four_cells(), 6, reductions=[3, 4])
    g8 = genotype_from_any(
        osp.join(REPO, 'configs/genotypes/ddarts_c10_sparse.json'))
    expand_genotype(g8, 14)
    assert _warnings(log_records) == []
    # same depth, other reductions: segment 0 shrinks from 1 to 0 cells
    expand_genotype(_four_cells(), 4, reductions=[0, 1])
    assert 'drops 1 searched cell(s) [0]' in _warnings(log_records)[0]
