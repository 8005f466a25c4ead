"""The tools' strict checkpoint check (mmddarts.models.strict_load) and the
supernet structure record it reads, on toy supernets and hand-made state
dicts: every kind of mismatch is an error naming it and its cause; a
supernet rebuilt from its record holds the same tensors and parses the same
genotypes as the original."""
import pytest
import torch
import torch.nn as nn

from mmddarts.models.search.supernet import DDartsSupernet
from mmddarts.models.search.supernet_arch import (SUPERNET_FORMAT,
                                                  build_supernet_from_record,
                                                  decode_record)
from mmddarts.models.strict_load import (CheckpointMismatchError,
                                         check_checkpoint, load_strict,
                                         state_kind)


def toy_supernet(**kw):
    args = dict(num_classes=5, channels=2, num_cells=3, steps=2)
    args.update(kw)
    torch.manual_seed(0)
    return DDartsSupernet(**args)


class Search(nn.Module):
    """What a search checkpoint's state dict looks like: ``architecture.``"""

    def __init__(self, net):
        super().__init__()
        self.architecture = net


class Classifier(nn.Module):

    def __init__(self, classes=10):
        super().__init__()
        self.backbone = nn.Conv2d(3, 4, 3)
        self.head = nn.Linear(4, classes)


def test_exact_fit_loads_every_tensor():
    src, dst = Classifier(), Classifier()
    ckpt = dict(state_dict=src.state_dict(), meta={})
    load_strict(dst, ckpt)
    for (k, a), b in zip(src.state_dict().items(),
                         dst.state_dict().values()):
        assert torch.equal(a, b), k


def test_head_size_mismatch_is_an_error_naming_the_key():
    ckpt = dict(state_dict=Classifier(100).state_dict(),
                meta=dict(experiment_name='do2-resnet18_c100_20261201_101010'))
    model = Classifier(10)
    before = model.head.weight.clone()
    with pytest.raises(CheckpointMismatchError) as err:
        load_strict(model, ckpt, where='tools/test.py', ckpt_name='C.pth',
                    config='darts-v2_c10.py')
    msg = str(err.value)
    assert ('2 size mismatch(es), e.g. head.weight: checkpoint [100, 4], '
            'model [10, 4]') in msg
    assert 'its run: do2-resnet18_c100' in msg
    assert 'C.pth does not fit the model of darts-v2_c10.py' in msg
    assert torch.equal(model.head.weight, before)  # nothing loaded


def test_missing_and_unexpected_tensors_are_errors():
    state = Classifier().state_dict()
    state.pop('head.bias')
    state['neck.weight'] = torch.zeros(2)
    with pytest.raises(CheckpointMismatchError) as err:
        check_checkpoint(Classifier(), dict(state_dict=state))
    msg = str(err.value)
    assert '1 tensor(s) missing from the checkpoint, e.g. head.bias' in msg
    assert '1 unexpected tensor(s) in it, e.g. neck.weight' in msg


def test_ddp_prefix_and_tolerated_keys():
    src = nn.Sequential(nn.BatchNorm2d(3))
    state = {'module.' + k: v for k, v in src.state_dict().items()
             if not k.endswith('num_batches_tracked')}
    load_strict(nn.Sequential(nn.BatchNorm2d(3)), dict(state_dict=state))


def test_search_vs_training_checkpoints_are_named():
    search = Search(toy_supernet()).state_dict()
    assert state_kind(search) == 'search'
    with pytest.raises(CheckpointMismatchError, match='a SEARCH checkpoint'):
        check_checkpoint(Classifier(), dict(state_dict=search))
    with pytest.raises(CheckpointMismatchError,
                       match='a TRAINING checkpoint'):
        check_checkpoint(Search(toy_supernet()),
                         dict(state_dict=Classifier().state_dict()))


def test_other_supernet_names_fields_and_cfg_options():
    ckpt = dict(state_dict=Search(toy_supernet(num_cells=3, channels=2))
                .state_dict())
    with pytest.raises(CheckpointMismatchError) as err:
        check_checkpoint(Search(toy_supernet(num_cells=4, channels=3)), ckpt)
    msg = str(err.value)
    assert 'num_cells: checkpoint 3, config 4' in msg
    assert 'channels: checkpoint 2, config 3' in msg
    # only the differing fields (both have reductions [1, 2])
    assert msg.endswith('--cfg-options model.architecture.num_cells=3 '
                        'model.architecture.channels=2. Nothing was loaded '
                        '(no partial load).')
    # the suggested options build a supernet the checkpoint fits
    check_checkpoint(Search(toy_supernet(num_cells=3, channels=2)), ckpt)


def test_alpha_shape_mismatch_alone_is_caught():
    """Same cells and widths, other op columns: only the alphas (and the
    mixed ops) differ."""
    ckpt = dict(state_dict=Search(toy_supernet(op_set='darts')).state_dict())
    with pytest.raises(CheckpointMismatchError) as err:
        check_checkpoint(Search(toy_supernet(op_set='extended')), ckpt)
    assert 'op_names' in str(err.value)


@pytest.mark.parametrize('kw', [
    dict(),
    dict(alpha_mode='shared', mixing='softmax'),
    dict(num_cells=4, reductions=[2], op_set='extended'),
])
def test_supernet_rebuilt_from_its_record(kw):
    net = toy_supernet(**kw)
    with torch.no_grad():
        for a in net.alphas:
            a.copy_(torch.randn_like(a) * 3)
    state = net.state_dict()
    rec = decode_record(state['_extra_state'], SUPERNET_FORMAT)
    twin = build_supernet_from_record(rec)
    assert {k: tuple(v.shape) for k, v in twin.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in state.items()}
    load_strict(twin, dict(state_dict=state))
    for method in ('darts', 'sparse', 'edge'):
        assert twin.genotype(method, 0.5).to_dict() == \
            net.genotype(method, 0.5).to_dict()


def test_dartopti_rebuilt_from_its_record():
    from mmddarts.models.search.dartopti import DARTOptiSupernet
    torch.manual_seed(0)
    net = DARTOptiSupernet('resnet18', num_classes=4, channels=2)
    rec = decode_record(net.state_dict()['_extra_state'], SUPERNET_FORMAT)
    twin = build_supernet_from_record(rec)
    assert type(twin) is DARTOptiSupernet
    load_strict(twin, dict(state_dict=net.state_dict()))
    assert twin.genotype('sparse').to_dict() == \
        net.genotype('sparse').to_dict()


def test_resume_into_another_supernet_is_refused():
    """Non-strict loads (mmengine's resume) meet the record too."""
    state = toy_supernet(num_cells=3).state_dict()
    other = toy_supernet(num_cells=3, alpha_mode='shared')
    with pytest.raises(RuntimeError, match='alpha_owners: checkpoint'):
        other.load_state_dict(state, strict=False)
    # a checkpoint written before the record loads as before
    state.pop('_extra_state')
    toy_supernet(num_cells=3).load_state_dict(state, strict=True)
