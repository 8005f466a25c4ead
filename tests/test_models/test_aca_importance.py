"""ACA channel importance on toy supernets (docs/aca.md): the edge-by-edge
calibration forward is the supernet's, each measure matches a hand-made
float64 case and an independent hook-based computation, and calibration
changes nothing (weights, BN statistics, grads, modes, RNG)."""
import pytest
import torch
import torch.nn.functional as F

from mmddarts.models.search import DDartsSupernet
from mmddarts.models.search.aca import (OutputImportance, TaylorImportance,
                                        allocate, channel_scores,
                                        edge_index, kept_edges, op_shares,
                                        traced_forward)
from mmddarts.structures.op_sets import DARTS_NOSKIP_OPS, get_op_names

VARIANTS = {
    'darts': dict(alpha_mode='shared', mixing='softmax'),
    'fairdarts': dict(alpha_mode='shared', mixing='sigmoid'),
    'ddarts': dict(alpha_mode='individual', mixing='sigmoid'),
}


def supernet(variant='ddarts', dtype=torch.float32, **kw):
    torch.manual_seed(0)
    net = DDartsSupernet(num_classes=3, channels=4, num_cells=3, steps=2,
                         op_set='darts_noskip', **VARIANTS[variant], **kw)
    with torch.no_grad():
        for a in net.alphas:
            a.copy_(torch.randn(a.shape))
    return net.to(dtype)


def batches(n=2, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(4, 3, 8, 8, generator=g).to(dtype),
             torch.randint(0, 3, (4, ), generator=g)) for _ in range(n)]


def test_noskip_op_set():
    assert 'skip_connect' not in get_op_names('darts_noskip')
    assert len(DARTS_NOSKIP_OPS) == 6
    for variant, cfg in VARIANTS.items():
        net = supernet(variant)
        assert 'skip_connect' not in net.op_names
        assert ('none' in net.op_names) == (cfg['mixing'] == 'softmax')
        for method in ('darts', 'sparse', 'edge'):
            g = net.genotype(method=method, threshold=0.5)
            assert g.op_set == 'darts_noskip'
            assert all(op != 'skip_connect' for gene in g.genes
                       for op, _, _ in gene)


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_traced_forward_is_the_supernet(variant):
    net = supernet(variant, torch.float64).train()
    x, _ = batches(1, torch.float64)[0]
    g = net.genotype(method='darts')
    logits, rec = traced_forward(net, x, kept_edges(net, g))
    want = net(x)
    assert torch.allclose(logits, want, rtol=1e-10,
                          atol=1e-10 * float(want.abs().max()))
    assert len(rec) == sum(len(g.gene(k)) for k in range(3))


def test_measures_on_a_hand_made_case():
    a = torch.tensor([[[[1., -2.]], [[0., 3.]]],
                      [[[-1., 1.]], [[2., -2.]]]], dtype=torch.float64)
    g = torch.tensor([[[[0.5, 0.5]], [[1., -1.]]],
                      [[[2., 1.]], [[0., 0.25]]]], dtype=torch.float64)
    out = OutputImportance()
    out.update('e', a)
    # channel 0: |1|+|-2|+|-1|+|1| = 5 over 4; channel 1: 0+3+2+2 = 7 / 4
    assert out.scores('e') == [1.25, 1.75]
    tay = TaylorImportance()
    tay.update('e', a, g)
    # B=2 times sum_hw a*g: n0 c0 2*(0.5-1) = -1, n0 c1 2*(0-3) = -6,
    # n1 c0 2*(-2+1) = -2, n1 c1 2*(0-0.5) = -1; mean of |.| over n
    assert tay.scores('e') == [1.5, 3.5]


def hooked_contributions(net, x, edges):
    """The chosen ops' outputs ``o(h)`` from forward hooks on their
    modules during the cells' own per-edge forward (another code path),
    and their weights ``w_o``."""
    weights = net.position_weights()
    got, handles = {}, []
    for k, rows in edges.items():
        for _, e, col in rows:
            edge = net.cells[k].edges[e]
            mod = edge.ops[edge.columns.index(col)]

            def hook(m, inp, out, k=k, e=e, col=col):
                if (k, e) not in got:  # shared modules run once per edge
                    got[(k, e)] = (out, weights[k][e, col].detach())
            handles.append(mod.register_forward_hook(hook))
    s0 = s1 = net.stem_forward(x)
    try:
        for k, cell in enumerate(net.cells):
            got_before = set(got)
            out = cell.forward_per_edge(s0, s1, weights[k])
            assert set(got) >= got_before
            s0, s1 = s1, out
    finally:
        for h in handles:
            h.remove()
    return net.head_forward(s1), got


def test_output_and_taylor_match_hooked_computation():
    net = supernet('ddarts', torch.float64)
    geno = net.genotype(method='darts')
    data = batches(2, torch.float64)
    # only edges whose op module is not shared with another edge (pools are
    # shared by the edges reading the same state, so one hook sees both)
    edges = {k: [r for r in rows if 'pool' not in net.op_names[r[2]]]
             for k, rows in kept_edges(net, geno).items()}
    assert sum(map(len, edges.values())) >= 3
    exp_out, exp_tay = {}, {}
    net.train()
    state = {k: v.clone() for k, v in net.state_dict().items()}
    for x, y in data:
        logits, rec = hooked_contributions(net, x, edges)
        loss = F.cross_entropy(logits, y, reduction='sum')
        keys = sorted(rec)
        grads = torch.autograd.grad(loss, [rec[q][0] for q in keys])
        for q, gr in zip(keys, grads):
            o, w = rec[q][0].detach(), rec[q][1]
            exp_out.setdefault(q, []).append(
                (w * o).abs().mean(dim=(0, 2, 3)))
            # a = w o: a * dL/da = o * dL/do
            exp_tay.setdefault(q, []).append(
                (o * gr).sum(dim=(2, 3)).abs().mean(dim=0))
    net.load_state_dict(state)
    got_out = channel_scores(net, geno, data, 'output')
    got_tay = channel_scores(net, geno, data, 'taylor')
    for k, rows in edges.items():
        for g_e, e, col in rows:
            op = geno.gene(k)[g_e][0]
            if 'pool' in op:
                continue
            want = torch.stack(exp_out[(k, e)]).mean(0)
            assert torch.allclose(torch.tensor(got_out[(k, g_e)],
                                               dtype=torch.float64), want,
                                  rtol=1e-9, atol=1e-12)
            want = torch.stack(exp_tay[(k, e)]).mean(0)
            assert torch.allclose(torch.tensor(got_tay[(k, g_e)],
                                               dtype=torch.float64), want,
                                  rtol=1e-7, atol=1e-12 * float(want.max()))


@pytest.mark.parametrize('measure', ['output', 'taylor'])
def test_calibration_changes_nothing_and_is_seeded(measure):
    net = supernet('darts')
    geno = net.genotype(method='darts')
    net.eval()  # a mode it must come back in
    before = {k: v.clone() for k, v in net.state_dict().items()}
    rng = torch.get_rng_state()
    s1 = channel_scores(net, geno, batches(), measure, seed=3)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters())
    assert not any(m.training for m in net.modules())
    assert torch.equal(torch.get_rng_state(), rng)
    s2 = channel_scores(net, geno, batches(), measure, seed=3)
    assert s1 == s2


def test_bn_gamma_needs_affine_search_bns():
    net = supernet('ddarts')
    geno = net.genotype(method='darts')
    with pytest.raises(ValueError, match='op_affine=True'):
        channel_scores(net, geno, batches(), 'bn_gamma')
    net = supernet('ddarts', op_affine=True)
    geno = net.genotype(method='darts')
    # affine search cells: the fused forward still equals the per-edge one
    x, _ = batches(1)[0]
    net.train()
    want = net(x)
    got, _ = traced_forward(net, x, {})
    assert torch.allclose(got, want, rtol=1e-4, atol=1e-5)
    scores = channel_scores(net, geno, [], 'bn_gamma')
    k, g_e = 0, 0
    op, to, src = geno.gene(k)[g_e]
    edge = net.cells[k].edges[edge_index(to, src)]
    mod = edge.ops[edge.columns.index(net.op_names.index(op))]
    bn = [m for m in mod.modules() if isinstance(m, torch.nn.BatchNorm2d)][-1]
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.5, -2., 1., 0.]))
    scores = channel_scores(net, geno, [], 'bn_gamma')
    assert scores[(k, g_e)] == [0.5, 2., 1., 0.]


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_allocate_every_search_method(variant):
    net = supernet(variant)
    geno = net.genotype(method='darts')
    out = allocate(net, geno, batches(), allocator='proportional')
    shares = op_shares(net, geno)
    w = [net.cell_weights(j).detach().double() for j in range(net.num_owners)]
    for gi, gene in enumerate(out.genes):
        cells = [k for k, s in enumerate(out.seq) if s == gi]
        for e, (op, to, src) in enumerate(gene):
            a = out.allocations[gi][e]
            # first cell of the gene sets the width the ranks are at
            first = cells[0]
            C = 4 * 2 ** sum(1 for r in out.reductions if r <= first)
            assert len(a.ranks) == C
            row = w[out.seq[first]][edge_index(to, src)]
            keep = [i for i, n in enumerate(net.op_names) if n != 'none']
            want = float(row[net.op_names.index(op)] / row[keep].sum())
            assert abs(a.fraction - want) < 1e-12
            assert abs(shares[(first, e)] - want) < 1e-12
    assert out.meta['aca']['allocator'] == 'proportional'
    otsu = allocate(net, geno, batches())
    assert all(0 < a.fraction <= 1 for gene in otsu.allocations
               for a in gene)
