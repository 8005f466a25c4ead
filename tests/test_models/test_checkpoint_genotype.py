"""Issue 14, item 1: a derived network's checkpoint carries its genotype;
tools/test.py scores the checkpoint's own network (or, with --genotype
config, refuses another one naming the first differing cell/edge), and no
loader partially loads a derived network."""
import os.path as osp
import pickle

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import (get_state_dict, load_checkpoint,
                                        save_checkpoint, weights_to_cpu)

from mmddarts.models.backbones import DDartsNet
from mmddarts.models.backbones.ddarts_det_backbone import DDartsDetBackbone
from mmddarts.models.backbones.derived_checkpoint import \
    resolve_checkpoint_genotypes
from mmddarts.models.backbones.net_arch import (ArchitectureMismatchError,
                                                read_net_arch)
from mmddarts.registry import MODELS
from mmddarts.structures.loading import genotype_from_any
from mmddarts.utils.checkpoint import load_from_local_allowlisted

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs/train/ddarts_digits.py')
SPARSE = osp.join(REPO, 'configs/genotypes/ddarts_c10_sparse.json')


def _changed_genotype():
    """The config's default genotype (ddarts_c10_sparse) with the op of
    cell 3, edge 1 replaced; returns it and the expected error text."""
    g = genotype_from_any(SPARSE)
    genes = [list(map(tuple, gene)) for gene in g.genes]
    gi = g.seq[3]
    op, to, frm = genes[gi][1]
    new = next(o for o in ('dil_conv_5x5', 'sep_conv_5x5', 'max_pool_3x3')
               if o != op and (o, to, frm) not in genes[gi])
    genes[gi][1] = (new, to, frm)
    changed = g.replace(genes=genes, meta={'note': 'test'})
    text = (f'cell 3, edge 1: checkpoint has {new} {to}<-{frm}, the network '
            f'has {op} {to}<-{frm}')
    return changed, text


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A checkpoint as tools/train.py writes it (mmengine's weights_to_cpu
    and save_checkpoint) of the changed genotype with channels=4, its BN
    statistics moved so that every weight matters."""
    tmp = tmp_path_factory.mktemp('ckpt')
    genotype, text = _changed_genotype()
    gpath = str(tmp / 'genotype_sparse_final.json')
    genotype.save(gpath)
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.genotype = gpath
    cfg.model.backbone.channels = 4
    init_default_scope(cfg.default_scope)
    cfg.model.data_preprocessor = cfg.data_preprocessor  # as the Runner
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    with torch.no_grad():
        model.backbone(torch.randn(8, 3, 32, 32))
    ckpt = str(tmp / 'epoch_1.pth')
    save_checkpoint({'meta': {}, 'state_dict': weights_to_cpu(
        get_state_dict(model))}, ckpt)
    return dict(ckpt=ckpt, genotype=genotype, gpath=gpath, text=text,
                model=model, tmp=tmp)


def test_checkpoint_records_whole_genotype(trained):
    rec = read_net_arch(trained['ckpt'])
    assert genotype_from_any(rec['genotype']) == trained['genotype']
    assert rec['genotype']['meta'] == {'note': 'test'}  # the whole JSON
    assert (rec['num_cells'], rec['channels'], rec['stem']) == (8, 4, 'cifar')
    # the record is a plain uint8 tensor: weights_only loading is enough
    raw = torch.load(trained['ckpt'], weights_only=True)
    assert raw['state_dict']['backbone._extra_state'].dtype == torch.uint8


def _run_test_tool(argv):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'mmddarts_test_tool', osp.join(REPO, 'tools/test.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main(argv)


def _scores(path):
    with open(path, 'rb') as f:
        preds = pickle.load(f)
    return torch.stack([torch.as_tensor(p['pred_score']) for p in preds])


def test_tools_test_scores_the_checkpoints_network(trained):
    tmp = trained['tmp']
    loader = ['test_dataloader.batch_size=120',
              'test_dataloader.num_workers=0']
    # the README's trap: the config's default genotype, the checkpoint of
    # another one; the checkpoint's network is built and scored
    _run_test_tool([CONFIG, trained['ckpt'], '--work-dir', str(tmp / 'a'),
                    '--out', str(tmp / 'a.pkl'), '--cfg-options', *loader])
    # reference: the network written out in the config by hand
    _run_test_tool([CONFIG, trained['ckpt'], '--work-dir', str(tmp / 'b'),
                    '--out', str(tmp / 'b.pkl'), '--genotype', 'config',
                    '--cfg-options', *loader,
                    f'model.backbone.genotype={trained["gpath"]}',
                    'model.backbone.channels=4'])
    a, b = _scores(tmp / 'a.pkl'), _scores(tmp / 'b.pkl')
    assert a.shape == (360, 10)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    # and independently: the trained model itself on the first images
    from mmddarts.datasets import DigitsDataset
    ds = DigitsDataset(split='test', pipeline=[])
    imgs = torch.stack([torch.as_tensor(ds.get_data_info(i)['img'])
                        for i in range(4)]).permute(0, 3, 1, 2).float()
    model = trained['model'].eval()
    with torch.no_grad():
        data = model.data_preprocessor({'inputs': list(imgs)}, False)
        ref = model(data['inputs'], mode='predict')
    ref = torch.stack([p.pred_score for p in ref])
    torch.testing.assert_close(a[:4], ref, rtol=1e-5, atol=1e-6)


def test_tools_test_refuses_another_network_with_genotype_config(trained):
    # tools/test.py's strict check names the difference before any load
    with pytest.raises((ArchitectureMismatchError, SystemExit)) as info:
        _run_test_tool([CONFIG, trained['ckpt'], '--work-dir',
                        str(trained['tmp'] / 'c'), '--genotype', 'config',
                        '--cfg-options', 'model.backbone.channels=4',
                        'test_dataloader.num_workers=0'])
    assert trained['text'] in str(info.value)


def _other_net(**kw):
    return DDartsNet(SPARSE, channels=4, **kw)


def test_no_partial_load_without_a_record(trained):
    """Older checkpoints (no record): a size mismatch is an error, not a
    warning (mmengine's load_checkpoint is non-strict)."""
    raw = load_from_local_allowlisted(trained['ckpt'], 'cpu')
    state = {k[len('backbone.'):]: v for k, v in raw['state_dict'].items()
             if k.startswith('backbone.') and not k.endswith('_extra_state')}
    old = str(trained['tmp'] / 'old.pth')
    torch.save({'state_dict': state}, old)
    net = DDartsNet(trained['genotype'], channels=8)  # other width
    with pytest.raises(ArchitectureMismatchError,
                       match=r'size mismatch.*stem\.0\.weight: checkpoint '
                       r'\(12, 3, 3, 3\), network \(24, 3, 3, 3\)'):
        load_checkpoint(net, old)
    # missing tensors too (cell 3's edge 1 has another op)
    net = DDartsNet(SPARSE, channels=4)
    with pytest.raises(ArchitectureMismatchError, match=r'lacks .*cells\.3'):
        load_checkpoint(net, old)
    # the same network loads (no record needed)
    net = DDartsNet(trained['genotype'], channels=4)
    load_checkpoint(net, old)
    for k, v in state.items():
        torch.testing.assert_close(net.state_dict()[k], v, rtol=0, atol=0)


def test_pretrained_init_cfg(trained):
    init = dict(type='Pretrained', checkpoint=trained['ckpt'],
                prefix='backbone.')
    net = DDartsNet('from_checkpoint', init_cfg=init)
    assert net.genotype == trained['genotype']
    net.init_weights()
    want = trained['model'].backbone.state_dict()
    for k, v in net.state_dict().items():
        torch.testing.assert_close(v, want[k], rtol=0, atol=0)
    other = _other_net(init_cfg=init)
    with pytest.raises(ArchitectureMismatchError) as info:
        other.init_weights()
    assert trained['text'] in str(info.value)


def test_detection_backbone(trained):
    init = dict(type='Pretrained', checkpoint=trained['ckpt'])
    det = DDartsDetBackbone('from_checkpoint', init_cfg=init)
    assert det.genotype == trained['genotype'] and det.stem_type == 'cifar'
    det.init_weights()
    want = trained['model'].backbone.state_dict()
    for k, v in det.state_dict().items():  # the record too
        torch.testing.assert_close(v, want[k], rtol=0, atol=0)
    det = DDartsDetBackbone(SPARSE, channels=4, stem='cifar', init_cfg=init)
    with pytest.raises(ArchitectureMismatchError) as info:
        det.init_weights()
    assert trained['text'] in str(info.value)


def test_load_from_with_from_checkpoint(trained):
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.genotype = 'from_checkpoint'
    assert resolve_checkpoint_genotypes(cfg, trained['ckpt']) == [
        'model.backbone']
    assert genotype_from_any(dict(cfg.model.backbone.genotype)) == \
        trained['genotype']
    assert cfg.model.backbone.channels == 4
    cfg.model.backbone.genotype = 'from_checkpoint'
    with pytest.raises(ValueError, match='needs a checkpoint'):
        resolve_checkpoint_genotypes(cfg, None)


def _resolve_logged(monkeypatch, trained, **backbone):
    import mmddarts.models.backbones.derived_checkpoint as dc
    said = []
    monkeypatch.setattr(dc, 'print_log',
                        lambda msg, **kw: said.append(msg))
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.update(backbone)
    rebuilt = resolve_checkpoint_genotypes(cfg, trained['ckpt'], every=True,
                                           where='tools/test.py')
    assert rebuilt == ['model.backbone']
    assert genotype_from_any(dict(cfg.model.backbone.genotype)) == \
        trained['genotype']
    return said


def test_test_tool_says_nothing_when_the_config_names_the_same_network(
        trained, monkeypatch):
    # the case: the config override names the very network
    assert _resolve_logged(monkeypatch, trained, genotype=trained['gpath'],
                           channels=4) == []


def test_test_tool_names_the_checkpoint_network_and_the_difference(
        trained, monkeypatch):
    said = _resolve_logged(monkeypatch, trained, genotype=SPARSE, channels=4)
    assert len(said) == 1
    assert 'built from the genotype recorded in' in said[0]
    assert '8 cells (reductions [2, 5]), C=4' in said[0]
    assert f"not the config's {SPARSE} ({trained['text']})" in said[0]
    # the same genes at another width: the width is the difference
    said = _resolve_logged(monkeypatch, trained, genotype=trained['gpath'],
                           channels=8)
    assert len(said) == 1 and ('channels: checkpoint has 4, the network '
                               'has 8') in said[0]
    # genotype='from_checkpoint': named, nothing to compare
    said = _resolve_logged(monkeypatch, trained, genotype='from_checkpoint')
    assert len(said) == 1 and 'not the config' not in said[0]
