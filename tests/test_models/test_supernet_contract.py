"""The supernet contract as an abstract base class, ``ablation_cfg`` and
the width's one name ``channels`` (the old ``C`` and flat ``ablation_*``
arguments accepted with a warning, giving the same network)."""
import warnings

import pytest
import torch
import torch.nn as nn

from mmddarts.models.search import DARTOptiSupernet, DDartsSupernet
from mmddarts.models.search.contract import BaseSearchSupernet
from mmddarts.models.search.supernet import ABLATION_CFG_DEFAULTS
from mmddarts.utils.deprecation import MMDDartsDeprecationWarning


def test_supernets_implement_the_contract():
    assert issubclass(DDartsSupernet, BaseSearchSupernet)
    assert issubclass(DARTOptiSupernet, BaseSearchSupernet)
    net = DARTOptiSupernet(baseline='resnet18', num_classes=3, channels=4)
    assert isinstance(net, BaseSearchSupernet)


def test_an_incomplete_supernet_cannot_be_built():
    class Partial(BaseSearchSupernet):
        def arch_parameters(self):
            return []

    with pytest.raises(TypeError, match='abstract.*genotype'):
        Partial()


def test_search_refuses_a_module_that_is_not_a_supernet():
    pytest.importorskip('mmpretrain')
    from mmddarts.models.algorithms import DDartsSearch
    with pytest.raises(TypeError, match='architecture must be a '
                       r'mmddarts\.models\.search\.BaseSearchSupernet.*'
                       'Linear'):
        DDartsSearch(architecture=nn.Linear(2, 2))


def _shapes(net):
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}


def test_channels_sets_the_width():
    """Hand-computed widths: stem 3 * channels, cell outputs steps *
    channels doubled at each reduction (3 cells, reductions 1 and 2)."""
    net = DDartsSupernet(num_classes=3, channels=4, num_cells=3, steps=2)
    assert net.channels == 4
    assert net.stem[0].out_channels == 12
    assert [c.out_channels for c in net.cells] == [8, 16, 32]
    assert net.classifier.in_features == 32


@pytest.mark.parametrize('cls,kwargs', [
    (DDartsSupernet, dict(num_classes=3, num_cells=3, steps=2)),
    (DARTOptiSupernet, dict(baseline='resnet18', num_classes=3)),
])
def test_old_width_name_warns_and_builds_the_same(cls, kwargs):
    torch.manual_seed(0)
    new = cls(channels=6, **kwargs)
    torch.manual_seed(0)
    with pytest.warns(MMDDartsDeprecationWarning,
                      match="'C' is deprecated, use 'channels'"):
        old = cls(C=6, **kwargs)
    assert old.channels == 6
    assert _shapes(old) == _shapes(new)
    for k, v in new.state_dict().items():
        assert torch.equal(old.state_dict()[k], v), k


def test_ablation_cfg_defaults_and_old_flat_names():
    net = DDartsSupernet(num_classes=3, channels=4, num_cells=3, steps=2)
    assert net.ablation_cfg == dict(eps=1e-8, rel_eps=0.1, chunk=None,
                                    checkpoint=None, prefix_member=None,
                                    defaults=None)
    assert net.ablation_cfg is not ABLATION_CFG_DEFAULTS  # own copy
    old = dict(ablation_eps=1e-6, ablation_rel_eps=0.2, ablation_chunk=2,
               ablation_checkpoint=False, ablation_prefix_member=True,
               ablation_defaults='cpu')
    with pytest.warns(MMDDartsDeprecationWarning) as record:
        net = DDartsSupernet(num_classes=3, channels=4, num_cells=3,
                             steps=2, **old)
    assert len(record) == 6
    assert net.ablation_cfg == {k[len('ablation_'):]: v
                                for k, v in old.items()}
    with warnings.catch_warnings():
        warnings.simplefilter('error', MMDDartsDeprecationWarning)
        same = DDartsSupernet(
            num_classes=3, channels=4, num_cells=3, steps=2,
            ablation_cfg={k[len('ablation_'):]: v for k, v in old.items()})
    assert same.ablation_cfg == net.ablation_cfg


def test_bad_ablation_cfg_is_named():
    kw = dict(num_classes=3, channels=4, num_cells=3, steps=2)
    with pytest.raises(ValueError, match=r"unknown ablation_cfg key\(s\) "
                       r"\['chunks'\]"):
        DDartsSupernet(ablation_cfg=dict(chunks=2), **kw)
    with pytest.raises(TypeError, match='both ablation_cfg.chunk'):
        DDartsSupernet(ablation_cfg=dict(chunk=2), ablation_chunk=3, **kw)
    with pytest.raises(TypeError, match=r"unexpected keyword.*'Channels'"):
        DDartsSupernet(Channels=4, num_classes=3, num_cells=3)
