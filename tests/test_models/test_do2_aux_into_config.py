"""An authors'-layout DO-2-ResNet18 checkpoint with its auxiliary head
converts and loads strictly into the shipped configs/train/do2-resnet18_c100.py
(width reduced): the auxiliary head sits after the last reduction cell in
both (cell 3 of 4; DARTS' 2n//3 would say cell 2, whose 1x1 conv has half
the input channels)."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope


HERE = osp.dirname(osp.abspath(__file__))
from mmddarts.testing.tolerance import assert_rel_close  # noqa: E402
from test_reference_converters import (DO2_R18, ROOT,  # noqa: E402
                                       _convert_to_file, _load_strict,
                                       _ref_from_genotype)
from mmddarts.structures.loading import load_genotype  # noqa: E402

C = 4  # the config's 64, reduced


def _shipped_model(monkeypatch):
    from mmengine.registry import MODELS
    monkeypatch.chdir(ROOT)  # the config names its genotype from the root
    cfg = Config.fromfile(osp.join(ROOT, 'configs/train/do2-resnet18_c100.py'))
    cfg.merge_from_dict({'model.backbone.channels': C})
    init_default_scope(cfg.default_scope)
    return MODELS.build(cfg.model)


def test_authors_do2_resnet18_with_aux_head_loads_into_shipped_config(
        tmp_path, monkeypatch):
    g = load_genotype(DO2_R18)
    assert list(g.reductions) == [1, 2, 3]
    ref = _ref_from_genotype(g, 'dco', C, 100, 'cifar', aux=True)
    assert 'auxiliary_head.features.2.weight' in ref.state_dict()
    path, meta, report = _convert_to_file(ref, g, tmp_path)
    assert report['dropped_aux_keys'] == 0
    model = _shipped_model(monkeypatch)
    assert model.backbone.aux_index == 3  # 'auto': the last reduction cell
    _load_strict(model.eval(), path)  # strict: every key, every shape
    # 64x64 images: cell 3 is 8x8, where the reference's DARTS head runs
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        want, cells = ref(x, return_cells=True)
        assert_rel_close(model(x, mode='tensor'), want, what='logits')
        _, aux_in = model.backbone(x, with_aux_output=True)
        aux_ref = ref.auxiliary_head.classifier(
            ref.auxiliary_head.features(cells[3]).flatten(1))
        assert_rel_close(model.aux_head((aux_in, )), aux_ref, what='aux')
        # 32x32 (the config's images): cell 3 is 4x4, too small for DARTS'
        # 5x5 window (the reference fails there); ours averages it to 2x2
        small = torch.randn(2, 3, 32, 32)
        _, aux_in = model.backbone(small, with_aux_output=True)
        assert aux_in.shape[-2:] == (4, 4)
        assert model.aux_head((aux_in, )).shape == (2, 100)
