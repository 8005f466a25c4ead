"""DARTOptiSupernet: layout and alpha initialisation from a baseline genotype,
alpha sharing between cells of one gene, parsing and distance at init."""
import json

import pytest
import torch
import torch.nn.functional as F

from mmddarts.models.search import DARTOptiSupernet, DDartsSupernet
from mmddarts.registry import MODELS
from mmddarts.structures import genotype_distance, get_baseline
from mmddarts.structures import Genotype
from mmddarts.structures.op_sets import EXTENDED_OPS, NONE_OP

BASELINES = ('resnet18', 'resnet50', 'xception')


def build(baseline, **kwargs):
    torch.manual_seed(0)
    cfg = dict(baseline=baseline, num_classes=5, channels=4)
    cfg.update(kwargs)
    return DARTOptiSupernet(**cfg)


_CACHE = {}


def built(name):
    """A fresh supernet per baseline, shared by the read-only tests (the
    13-cell Xception takes seconds to build)."""
    if name not in _CACHE:
        _CACHE[name] = build(name)
    return _CACHE[name]


def gene_pairs(gene, steps):
    """(row, column) of every edge op, rows counted by hand: node ``to``
    owns rows after the 2, 3, ... rows of nodes 2 .. to-1."""
    pairs = set()
    for op, to, src in gene:
        row = sum(range(2, to)) + src  # nodes 2..to-1 have 2..to-1 inputs
        pairs.add((row, EXTENDED_OPS.index(op)))
    return pairs


def as_sets(genotype):
    return [frozenset(g) for g in genotype.genes]


# ---------------------------------------------------------------- layout
@pytest.mark.parametrize('name', BASELINES)
def test_layout_follows_baseline(name):
    base = get_baseline(name)
    net = built(name)
    assert net.num_cells == base.num_cells == len(net.cells)
    assert net.reductions == tuple(base.reductions)
    assert net.steps == base.steps
    assert net.op_names == EXTENDED_OPS
    assert [c.reduction for c in net.cells] == [
        k in base.reductions for k in range(base.num_cells)]
    # one alpha set per gene, cell k reads the set of gene seq[k]
    assert len(net.arch_parameters()) == len(base.genes)
    assert net.alpha_owners == list(base.seq)
    rows = {4: 14, 6: 27}[base.steps]
    assert all(a.shape == (rows, 12) for a in net.arch_parameters())


@pytest.mark.parametrize('name', BASELINES)
def test_alpha_init_on_baseline_ops(name):
    base = get_baseline(name)
    net = built(name)
    for g, a in enumerate(net.arch_parameters()):
        w = torch.sigmoid(a.detach())
        expected = gene_pairs(base.genes[g], base.steps)
        high = {tuple(ix) for ix in (w > 0.99).nonzero().tolist()}
        assert high == expected, f'gene {g}'
        mask = torch.ones_like(w, dtype=torch.bool)
        for r, c in expected:
            mask[r, c] = False
        assert torch.all(w[mask] == 0.5)
        assert torch.all(a.detach()[~mask] == 10.0)


def test_init_values_configurable_and_softmax_none_column():
    net = build('resnet18', init_high=4.0, init_low=-1.0)
    a = net.arch_parameters()[0].detach()
    assert set(a.unique().tolist()) == {4.0, -1.0}
    assert int((a == 4.0).sum()) == 6  # the 6 edges of the ResNet18 gene
    soft = build('resnet18', mixing='softmax')
    assert soft.op_names[0] == NONE_OP
    a = soft.arch_parameters()[0].detach()
    assert torch.all(a[:, 0] == 0.0)  # 'none' is never a baseline op
    # the baseline's ops dominate each of its edges after the softmax
    w = soft.cell_weights(0)
    row = sum(range(2, 3)) + 2  # edge 2 -> 3
    assert w[row].argmax().item() == soft.op_names.index('simple_conv_3x3')


def test_registry_and_genotype_sources(tmp_path, repo_root):
    net = MODELS.build(dict(type='mmddarts.DARTOptiSupernet',
                            baseline='ResNet18', num_classes=3, channels=4))
    assert isinstance(net, DARTOptiSupernet)
    assert isinstance(net, DDartsSupernet)
    # a user genotype as a file (the shipped JSON), a dict, a Genotype
    path = f'{repo_root}/configs/genotypes/baseline-resnet50.json'
    from_file = build(path)
    from_dict = build(get_baseline('resnet50').to_dict())
    for net in (from_file, from_dict):
        assert net.baseline == get_baseline('resnet50')
        for a, b in zip(net.arch_parameters(),
                        built('resnet50').arch_parameters()):
            assert torch.equal(a, b)


def test_conv_weights_stay_per_cell():
    net = built('resnet50')  # cells 0 and 3 share gene 0
    assert net.alpha_owners[0] == net.alpha_owners[3] == 0
    ids = [{id(p) for p in c.parameters()} for c in net.cells]
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            assert not ids[i] & ids[j]
    arch = {id(a) for a in net.arch_parameters()}
    assert not arch & {id(p) for p in net.weight_parameters()}


# --------------------------------------------------------------- sharing
@pytest.mark.parametrize('name', ['resnet18', 'resnet50'])
def test_shared_alpha_gradient_is_sum_over_its_cells(name):
    """The shared alpha's gradient equals the sum of the gradients that
    per-cell copies of it receive (every sharing cell contributes)."""
    net = build(name).double()
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    y = torch.tensor([1, 3])
    loss = F.cross_entropy(net(x), y)
    shared = torch.autograd.grad(loss, net.arch_parameters())

    copies = [net.arch_parameters()[o].detach().clone().requires_grad_()
              for o in net.alpha_owners]
    loss2 = F.cross_entropy(net(x, weights=[torch.sigmoid(c)
                                            for c in copies]), y)
    torch.testing.assert_close(loss2, loss, rtol=0, atol=0)
    per_cell = torch.autograd.grad(loss2, copies)
    for owner, g in enumerate(shared):
        cells = [k for k, o in enumerate(net.alpha_owners) if o == owner]
        total = sum(per_cell[k] for k in cells)
        torch.testing.assert_close(g, total, rtol=1e-10, atol=1e-14)
        for k in cells:  # each sharing cell's own gradient is not zero
            assert per_cell[k].abs().max() > 0
    # A cell does not reach another gene's alpha.
    assert len(shared) == len(set(net.alpha_owners))


def test_arch_step_counts_each_shared_owner_once():
    """arch_step_grads (CE + w01 * L01, no ablation) on the shared alpha =
    the CE gradient summed over its 4 cells + ONE zero-one term."""
    net = build('resnet18').double()
    x = torch.randn(3, 3, 8, 8, dtype=torch.float64)
    y = torch.tensor([0, 1, 4])
    alpha = net.arch_parameters()[0]
    # independent reference: autograd of CE through per-cell copies, and
    # the zero-one loss written out by hand
    copies = [alpha.detach().clone().requires_grad_() for _ in range(4)]
    ce = F.cross_entropy(net(x, weights=[torch.sigmoid(c) for c in copies]),
                         y)
    ce_grad = sum(torch.autograd.grad(ce, copies))
    a = alpha.detach().clone().requires_grad_()
    l01 = -torch.mean((torch.sigmoid(a) - 0.5)**2)
    l01_grad, = torch.autograd.grad(l01, a)
    alpha.grad = None
    net.arch_step_grads(x, y, w01=7.0, w_abl=0.0, ablation='none')
    torch.testing.assert_close(alpha.grad, ce_grad + 7.0 * l01_grad,
                               rtol=1e-9, atol=1e-12)


def test_single_owner_ablation_adds_nothing():
    """ResNet18 has one alpha set: Labl = 1 - mc / mean(mc) = 0 and its
    exact gradient vanishes (no other owner), which is why the ResNet18
    DARTOpti configs set ablation='none'."""
    net = build('resnet18').double()
    x = torch.randn(3, 3, 8, 8, dtype=torch.float64)
    y = torch.tensor([0, 1, 4])
    alpha = net.arch_parameters()[0]
    grads = {}
    for mode in ('none', 'exact'):
        alpha.grad = None
        logs = net.arch_step_grads(x, y, w01=7.0, w_abl=0.5, ablation=mode,
                                   generator=torch.Generator().manual_seed(0))
        grads[mode] = alpha.grad.clone()
    assert float(logs['labl'].abs().max()) < 1e-12
    torch.testing.assert_close(grads['exact'], grads['none'], rtol=1e-9,
                               atol=1e-12)


# ------------------------------------------------------ parsing, distance
@pytest.mark.parametrize('name', BASELINES)
def test_edge_parse_at_init_is_the_baseline(name):
    base = get_baseline(name)
    g = built(name).genotype(method='edge', threshold=0.85)
    assert as_sets(g) == as_sets(base)
    assert g.seq == base.seq and g.reductions == base.reductions
    assert g.steps == base.steps and g.op_set == 'extended'
    assert g.meta['baseline'] == name and g.meta['parse_method'] == 'edge'
    assert genotype_distance(base, g) == 0.0


@pytest.mark.parametrize('name', ['resnet18', 'xception'])
def test_sparse_parse_at_init_is_the_baseline(name):
    # at most 2 incoming edges per node and one op per edge: sparse
    # represents these baselines exactly
    base = get_baseline(name)
    g = built(name).genotype(method='sparse', threshold=0.85)
    assert as_sets(g) == as_sets(base)
    assert genotype_distance(base, g) == 0.0


def test_sparse_parse_drops_second_op_of_resnet50_edges():
    """ResNet50's edges carry bottleneck + skip with equal weight; sparse
    keeps one op per edge, the lower column index (skip_connect, 2 < 11),
    so the fresh supernet parses to an all-skip network."""
    base = get_baseline('resnet50')
    g = built('resnet50').genotype(method='sparse', threshold=0.85)
    expected = [frozenset(('skip_connect', to, src)
                          for _, to, src in gene) for gene in base.genes]
    assert as_sets(g) == expected
    assert genotype_distance(base, g) > 0.0


def test_user_genotype_with_three_inputs_per_node():
    """A user baseline whose node 3 has 3 incoming edges: edge keeps them
    all; sparse keeps the 2 strongest (ties: lower source node)."""
    user = Genotype(
        genes=[[('sep_conv_3x3', 2, 0), ('conv_3x1_1x3', 3, 0),
                ('simple_conv_1x1', 3, 1), ('max_pool_3x3', 3, 2)],
               [('dil_conv_5x5', 2, 1), ('skip_connect', 3, 2)]],
        seq=[0, 1, 0], reductions=[1], steps=2, op_set='extended')
    net = build(user.to_dict())
    assert len(net.arch_parameters()) == 2 and net.alpha_owners == [0, 1, 0]
    edge = net.genotype(method='edge')
    assert as_sets(edge) == as_sets(user)
    assert genotype_distance(user, edge) == 0.0
    sparse = net.genotype(method='sparse')
    assert as_sets(sparse) == [
        frozenset(user.genes[0][:3]), frozenset(user.genes[1])]
    # built with a darts-only gene in a darts op set too
    darts_user = Genotype(genes=[[('sep_conv_3x3', 2, 0)]], seq=[0, 0],
                          reductions=[1], steps=1)
    net = build(darts_user, op_set='darts')
    assert net.op_names[:7] == EXTENDED_OPS[:7] and len(net.op_names) == 7
    assert as_sets(net.genotype('sparse')) == as_sets(darts_user)


# ----------------------------------------------------------------- errors
def test_clear_errors(tmp_path):
    with pytest.raises(ValueError, match=r"gene 0 .*simple_conv_3x3.*"
                       r"op_set='extended'"):
        build('resnet18', op_set='darts')
    with pytest.raises(ValueError, match=r'steps=4 but baseline .resnet50. '
                       r'has steps=6'):
        build('resnet50', steps=4)
    with pytest.raises(ValueError, match=r'num_cells=8 but baseline '
                       r'.xception. has 13 cells'):
        build('xception', num_cells=8)
    with pytest.raises(KeyError, match='unknown baseline .vgg16.'):
        build('vgg16')
    with pytest.raises(FileNotFoundError, match='baseline'):
        build(str(tmp_path / 'missing.json'))
    with pytest.raises(TypeError, match='reductions'):
        build('resnet18', reductions=[2])
    with pytest.raises(ValueError, match='init_high'):
        build('resnet18', init_high=0.0, init_low=0.0)
    unused = get_baseline('resnet18').to_dict()
    unused['genes'].append([['skip_connect', 2, 0]])
    with pytest.raises(ValueError, match=r'gene\(s\) \[1\] used by no cell'):
        build(unused)
    bad = tmp_path / 'bad.json'
    data = get_baseline('resnet18').to_dict()
    data['genes'][0][0][0] = 'conv_9x9'
    bad.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r'baseline .*conv_9x9'):
        build(str(bad))
