"""The ACA search configs: the no-skip space, valid aca options whose parse
method the model exports, a train config for each (docs/aca.md)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmddarts.engine.aca_allocation import aca_options

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEARCH = sorted(glob.glob(osp.join(ROOT, 'configs/search/aca-*.py')))


def test_every_method_has_an_aca_config():
    names = {osp.basename(p) for p in SEARCH}
    assert {'aca-darts_c10.py', 'aca-fairdarts_c10.py', 'aca-ddarts_c100.py',
            'aca-darts_digits.py', 'aca-ddarts_digits.py'} <= names


@pytest.mark.parametrize('path', SEARCH, ids=osp.basename)
def test_aca_search_config(path):
    cfg = Config.fromfile(path)
    assert cfg.model.architecture.op_set == 'darts_noskip'
    opts = aca_options(cfg.aca)
    assert opts['parse_method'] in cfg.model.parse_methods
    train = osp.join(ROOT, 'configs/train', osp.basename(path))
    tcfg = Config.fromfile(train)
    name = osp.splitext(osp.basename(path))[0]
    assert tcfg.model.backbone.genotype == \
        f'work_dirs/{name}/genotype_aca_final.json'


def test_bad_aca_options():
    with pytest.raises(KeyError, match=r"unknown key\(s\) \['allocater'\]"):
        aca_options(dict(allocater='otsu'))
    with pytest.raises(ValueError, match='calib_batches must be a positive'):
        aca_options(dict(calib_batches=0))
    assert aca_options(None, allocator='proportional')['allocator'] == \
        'proportional'
