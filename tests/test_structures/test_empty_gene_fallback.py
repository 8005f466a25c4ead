"""The empty-gene fallback is never silent: a warning naming the cell, the
substituted op and its weight, the same facts in ``meta['empty_fallback']``,
and an error with ``strict`` (library and ``tools/export_genotype.py``)."""
import json
import math
import os.path as osp

import numpy as np
import pytest
import torch

from mmddarts.structures.parsing import (EmptyGeneError, EmptyGeneWarning,
                                         edge_index, num_edges, parse_genotype)
from mmddarts.structures.op_sets import DARTS_OPS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
OPS = list(DARTS_OPS)


def logit(p):
    return math.log(p / (1 - p))


def two_owners():
    """Owner 0 keeps sep_conv_3x3 2<-0 (0.95); owner 1 (cells 1 and 2) has
    nothing above 0.85, its strongest op into node 2 is
    dil_conv_3x3 2<-1 at 0.7."""
    w0 = np.full((num_edges(2), len(OPS)), 0.1)
    w0[edge_index(2, 0), OPS.index('sep_conv_3x3')] = 0.95
    w1 = np.full((num_edges(2), len(OPS)), 0.2)
    w1[edge_index(2, 1), OPS.index('dil_conv_3x3')] = 0.7
    w1[edge_index(3, 2), OPS.index('max_pool_3x3')] = 0.8  # not into node 2
    return [w0, w1]


def test_warning_and_meta_name_cell_op_and_weight():
    with pytest.warns(EmptyGeneWarning) as rec:
        g = parse_genotype(two_owners(), OPS, seq=[0, 1, 1], reductions=[1],
                           steps=2, method='sparse', threshold=0.85)
    [msg] = [str(w.message) for w in rec
             if issubclass(w.category, EmptyGeneWarning)]
    for part in ('alpha owner 1', 'cell(s) [1, 2]', 'dil_conv_3x3 2<-1',
                 '0.7000', '0.85'):
        assert part in msg, (part, msg)
    assert g.meta['empty_fallback'] == [dict(
        owner=1, cells=[1, 2], op='dil_conv_3x3', to=2, src=1,
        weight=pytest.approx(0.7), threshold=0.85)]
    assert json.loads(g.to_json())['meta']['empty_fallback'][0]['op'] == \
        'dil_conv_3x3'


def test_strict_is_an_error_naming_the_cell():
    with pytest.raises(EmptyGeneError, match=r'cell\(s\) \[1, 2\]'):
        parse_genotype(two_owners(), OPS, seq=[0, 1, 1], reductions=[1],
                       steps=2, method='sparse', strict=True)
    # nothing to substitute: strict changes nothing
    g = parse_genotype(two_owners()[:1], OPS, seq=[0], reductions=[],
                       steps=2, strict=True)
    assert g.meta['empty_fallback'] == []


def test_supernet_genotype_strict():
    from mmddarts.models.search import DDartsSupernet
    a = [torch.as_tensor(w).logit().float() for w in two_owners()]
    net = DDartsSupernet(num_classes=3, channels=4, num_cells=3, steps=2,
                         alpha_owners=[0, 1, 1], init_alphas=a)
    with pytest.warns(EmptyGeneWarning, match='dil_conv_3x3'):
        net.genotype('sparse')
    with pytest.raises(EmptyGeneError):
        net.genotype('sparse', strict=True)


CONFIG = """
model = dict(
    type='mmddarts.DDartsSearch',
    architecture=dict(type='mmddarts.DDartsSupernet', num_classes=3,
                      channels=4, num_cells=3, steps=2,
                      alpha_owners=[0, 1, 1]),
    parse_methods=('sparse', ), threshold=0.85)
"""


def test_export_tool_strict(tmp_path, capsys):
    pytest.importorskip('mmpretrain')
    from mmddarts.testing.tools import load_tool
    export_genotype = load_tool('tools/export_genotype.py')
    from mmddarts.models.algorithms import DDartsSearch
    cfg = tmp_path / 'search_cfg.py'
    cfg.write_text(CONFIG)
    from mmengine.config import Config
    model = DDartsSearch(**{k: v for k, v in Config.fromfile(
        str(cfg)).model.items() if k != 'type'})
    with torch.no_grad():
        for a, w in zip(model.arch_parameters(), two_owners()):
            a.copy_(torch.as_tensor(w).logit())
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict=model.state_dict()), str(ckpt))
    out = tmp_path / 'out'

    export_genotype.main([str(cfg), str(ckpt), '--out-dir', str(out)])
    err = capsys.readouterr().err
    assert 'warning: sparse: alpha owner 1 (cell(s) [1, 2])' in err
    assert 'dil_conv_3x3 2<-1 of weight 0.7000' in err
    meta = json.loads((out / 'genotype_sparse.json').read_text())['meta']
    assert meta['empty_fallback'][0]['cells'] == [1, 2]

    (out / 'genotype_sparse.json').unlink()
    with pytest.raises(SystemExit) as exc:
        export_genotype.main([str(cfg), str(ckpt), '--out-dir', str(out),
                              '--strict'])
    assert exc.value.code == 1
    assert 'strict parsing' in capsys.readouterr().err
    assert not (out / 'genotype_sparse.json').exists()
