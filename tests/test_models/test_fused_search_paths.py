"""The fused search cell and the batched ablations (issue 9) compute the
same numbers as the implementation before them (``_legacy_arch_step``:
per-edge mixing, ablations one after another), in float64.

Covered: every cell output and every gradient (weights and alphas) of a
forward; each mode's alpha gradients and logged values of a whole
architecture step for individual, shared, DARTOpti-owned and softmax
layouts, with and without the ablation guard firing, for several ablation
chunk sizes; BatchNorm running statistics; member-batched cells against
members run one by one.
"""
import copy

import pytest
import torch
import torch.nn as nn

from mmddarts.models.search.ablation import frozen_bn_stats
from mmddarts.models.search.search_cell import SearchCell
from mmddarts.structures.op_sets import DARTS_OPS, NONE_OP

from _legacy_arch_step import (PerEdgeNet,  # noqa: E402
                               legacy_arch_step_grads)
from mmddarts.testing.toy_supernet import make_net  # noqa: E402

TOL = 1e-10
LAYOUTS = {
    'individual': dict(),
    'shared': dict(alpha_mode='shared'),
    'dartopti_owned': dict(alpha_owners=[1, 0, 1]),
    'softmax': dict(mixing='softmax'),
}


def batch(seed=1, n=3):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 8, 8, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 3, 1, 2][:n])
    return x, y


def _max_diff(a, b):
    return max((u - v).abs().max().item() for u, v in zip(a, b))


@pytest.mark.parametrize('layout', list(LAYOUTS))
def test_forward_and_all_gradients_equal_per_edge(layout):
    net = make_net(**LAYOUTS[layout])
    ref = copy.deepcopy(net)
    x, y = batch()
    params = list(net.parameters())
    out = nn.functional.cross_entropy(net(x), y)
    grads = torch.autograd.grad(out, params)
    ref_out = nn.functional.cross_entropy(PerEdgeNet(ref)(x), y)
    ref_grads = torch.autograd.grad(ref_out, list(ref.parameters()))
    assert abs(out.item() - ref_out.item()) <= TOL
    assert _max_diff(grads, ref_grads) <= TOL


def _assert_equals_per_edge(cell, s0, s1, w):
    """The fused forward of ``cell`` and every gradient (inputs, op
    weights, parameters) equal the per-edge loop of a copy of it."""
    ref = copy.deepcopy(cell)
    out = cell(s0, s1, w)
    ref_out = ref.forward_per_edge(s0, s1, w)
    assert (out - ref_out).abs().max() <= TOL
    cot = torch.randn_like(out)
    g = torch.autograd.grad(out, [s0, s1, w] + list(cell.parameters()), cot)
    r = torch.autograd.grad(ref_out, [s0, s1, w] + list(ref.parameters()),
                            cot)
    assert _max_diff(g, r) <= TOL


@pytest.mark.parametrize('reduction,reduction_prev', [(False, False),
                                                      (True, False),
                                                      (False, True)])
@pytest.mark.parametrize('op_names', [DARTS_OPS, (NONE_OP, ) + DARTS_OPS])
def test_cell_forward_equals_per_edge(reduction, reduction_prev, op_names):
    torch.manual_seed(0)
    cell = SearchCell(3, 6, 5, 4, reduction, reduction_prev,
                      op_names).double().train()
    hw = 8
    s0 = torch.randn(2, 6, hw * (2 if reduction_prev else 1),
                     hw * (2 if reduction_prev else 1), dtype=torch.float64,
                     requires_grad=True)
    s1 = torch.randn(2, 5, hw, hw, dtype=torch.float64, requires_grad=True)
    w = torch.rand(cell.num_edges, len(op_names), dtype=torch.float64,
                   requires_grad=True)
    _assert_equals_per_edge(cell, s0, s1, w)


def test_cell_swapped_after_construction_falls_back_and_equals_per_edge(
        monkeypatch):
    """The node mix reads the merged BN output as a stack when the node's
    layout is the one planned at construction; a module swapped later
    (FactorizedReduce's ReLU -> SiLU: its tail BN no longer joins) takes
    the split path, with the same numbers."""
    from mmddarts.models.ops import FactorizedReduce
    from mmddarts.models.search import search_cell as sc
    torch.manual_seed(0)
    cell = SearchCell(3, 6, 5, 4, True, False, DARTS_OPS).double().train()
    for edge in cell.edges:
        for op in edge.ops:
            if isinstance(op, FactorizedReduce):
                op.relu = nn.SiLU()
    calls = []
    plain_mix = sc._mix
    monkeypatch.setattr(sc, '_mix',
                        lambda *a: calls.append(1) or plain_mix(*a))
    s0 = torch.randn(2, 6, 8, 8, dtype=torch.float64, requires_grad=True)
    s1 = torch.randn(2, 5, 8, 8, dtype=torch.float64, requires_grad=True)
    w = torch.rand(cell.num_edges, len(DARTS_OPS), dtype=torch.float64,
                   requires_grad=True)
    _assert_equals_per_edge(cell, s0, s1, w)
    assert len(calls) == cell.steps  # every node read edges from an input


def test_cell_as_built_mixes_every_node_from_the_merged_bn(monkeypatch):
    from mmddarts.models.search import search_cell as sc
    calls = []
    monkeypatch.setattr(sc, '_mix', lambda *a: calls.append(1))
    for reduction in (False, True):
        cell = SearchCell(3, 6, 5, 4, reduction, False, DARTS_OPS)
        cell(torch.randn(2, 6, 8, 8), torch.randn(2, 5, 8, 8),
             torch.rand(cell.num_edges, len(DARTS_OPS)))
    assert calls == []


def _unshared_copy(cell):
    """A copy whose edges own separate parameter-free modules again (the
    layout before issue 9)."""
    ref = copy.deepcopy(cell)
    for edge in ref.edges:
        for t in range(len(edge.ops)):
            edge.ops[t] = copy.deepcopy(edge.ops[t])
    return ref


def test_running_statistics_equal_the_unshared_cell():
    torch.manual_seed(0)
    cell = SearchCell(3, 6, 5, 4, True, False, DARTS_OPS).double().train()
    ref = _unshared_copy(cell)
    s0 = torch.randn(2, 6, 8, 8, dtype=torch.float64)
    s1 = torch.randn(2, 5, 8, 8, dtype=torch.float64)
    w = torch.rand(cell.num_edges, len(DARTS_OPS), dtype=torch.float64)
    for _ in range(2):
        cell(s0, s1, w)
        ref.forward_per_edge(s0, s1, w)
    mine = cell.state_dict()
    theirs = ref.state_dict()
    assert mine.keys() == theirs.keys()
    stats = [k for k in mine if 'running' in k or 'num_batches' in k]
    assert len(stats) > 50
    for k in stats:
        assert torch.allclose(mine[k], theirs[k], rtol=0, atol=TOL), k
    assert all(mine[k].item() == 2 for k in mine if 'num_batches' in k)


def test_state_dict_keys_and_parameters_unchanged_by_sharing():
    torch.manual_seed(0)
    cell = SearchCell(4, 6, 5, 4, False, False, DARTS_OPS)
    ref = _unshared_copy(cell)
    assert list(cell.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in cell.named_parameters()] == \
        [n for n, _ in ref.named_parameters()]
    # old checkpoints (separate but equal pool statistics) load
    cell.load_state_dict(ref.state_dict())


def test_member_batch_equals_members_one_by_one():
    torch.manual_seed(0)
    cell = SearchCell(3, 6, 5, 4, True, True, DARTS_OPS).double().train()
    G, B = 3, 2
    s0 = [torch.randn(B, 6, 16, 16, dtype=torch.float64) for _ in range(G)]
    s1 = [torch.randn(B, 5, 8, 8, dtype=torch.float64) for _ in range(G)]
    w = torch.rand(G, cell.num_edges, len(DARTS_OPS), dtype=torch.float64,
                   requires_grad=True)

    def interleave(ts):  # batch-major: sample b * G + g
        return torch.stack(ts, 1).reshape(B * G, *ts[0].shape[1:])

    with frozen_bn_stats(cell):
        out = cell(interleave(s0), interleave(s1), w, members=G)
        one = [cell(s0[g], s1[g], w[g]) for g in range(G)]
    ref = interleave(one)
    assert (out - ref).abs().max() <= TOL
    cot = torch.randn_like(out)
    g1 = torch.autograd.grad(out, [w] + list(cell.parameters()), cot)
    g2 = torch.autograd.grad(ref, [w] + list(cell.parameters()), cot)
    assert _max_diff(g1, g2) <= TOL


def test_member_batch_refuses_to_update_statistics():
    cell = SearchCell(2, 4, 4, 4, False, False, DARTS_OPS).train()
    x = torch.randn(4, 4, 8, 8)
    w = torch.rand(2, cell.num_edges, len(DARTS_OPS))
    with pytest.raises(RuntimeError, match='frozen_bn_stats'):
        cell(x, x, w, members=2)


def _arch_step(fn, net, mode, chunk=None, eps=None, checkpoint=None,
               prefix=None, defaults='cuda'):
    net = copy.deepcopy(net)
    net.ablation_cfg.update(chunk=chunk, checkpoint=checkpoint,
                            prefix_member=prefix, defaults=defaults)
    for a in net.arch_parameters():
        a.grad = None
    x, y = batch()
    logs = fn(net, x, y, w01=7.0, w_abl=0.5, ablation=mode,
              generator=torch.Generator().manual_seed(7), eps=eps)
    return [a.grad.clone() for a in net.arch_parameters()], logs


def _arch_step_grads(net, *args, **kwargs):
    from mmddarts.models.search.ablation import arch_step_grads
    return arch_step_grads(net, *args, **kwargs)


@pytest.mark.parametrize('layout', list(LAYOUTS))
@pytest.mark.parametrize('mode,guard', [('exact', False), ('exact', True),
                                        ('reference', False),
                                        ('reference', True), ('none', False)])
def test_arch_step_equals_legacy(layout, mode, guard):
    net = make_net(**LAYOUTS[layout])
    eps = 1e9 if guard else None  # 1e9: the guard always fires
    ref_grads, ref_logs = _arch_step(legacy_arch_step_grads, net, mode,
                                     eps=eps)
    # (chunk, checkpoint, prefix member, defaults of the device kind):
    # both devices' defaults and every combination they do not pick
    variants = dict(
        none=[(None, None, None, 'cuda')],
        reference=[(None, None, None, 'cuda'), (None, None, None, 'cpu'),
                   (2, None, None, 'cuda')]).get(mode, [
                       (None, None, None, 'cuda'),  # batch, ckpt, prefix
                       (None, None, None, 'cpu'),  # one by one, records
                       (None, False, True, 'cuda'),
                       (None, True, False, 'cuda'),
                       (None, False, False, 'cuda'),
                       (2, None, None, 'cuda'),
                       (2, False, None, 'cpu'),
                       (1, True, None, 'cuda')])
    for variant in variants:
        chunk = variant  # named in the assertion messages
        grads, logs = _arch_step(_arch_step_grads, net, mode, variant[0],
                                 eps, *variant[1:])
        assert _max_diff(grads, ref_grads) <= TOL, chunk
        assert logs.keys() == ref_logs.keys()
        for key in logs:
            a = torch.as_tensor(logs[key], dtype=torch.float64)
            b = torch.as_tensor(ref_logs[key], dtype=torch.float64)
            assert torch.allclose(a, b, rtol=0, atol=TOL), (chunk, key)
        if mode != 'none':
            assert bool(logs['abl_guarded']) == guard


def test_ablation_plan_by_device_and_option():
    from mmddarts.models.search.ablation import ablation_plan
    net = make_net()  # 3 owners, options unset
    gpu = (dict(chunk=None, checkpoint=True), True)
    cpu = (dict(chunk=1, checkpoint=False), False)
    assert ablation_plan(net, torch.device('cuda', 0)) == gpu
    assert ablation_plan(net, 'cpu') == cpu
    opts = net.ablation_cfg
    opts['defaults'] = 'cuda'  # whatever the inputs' device
    assert ablation_plan(net, 'cpu') == gpu
    opts['defaults'] = 'cpu'
    assert ablation_plan(net, 'cuda') == cpu
    opts['defaults'] = None
    opts['chunk'] = 2  # two batches: checkpointed, never a member
    assert ablation_plan(net, 'cuda') == (dict(chunk=2, checkpoint=True),
                                          False)
    opts.update(chunk=None, prefix_member=True, checkpoint=False)
    assert ablation_plan(net, 'cpu') == (dict(chunk=1, checkpoint=False),
                                         False)
    opts['chunk'] = 3  # one batch of all three
    assert ablation_plan(net, 'cpu') == (dict(chunk=3, checkpoint=False),
                                         True)
    for bad in (dict(prefix_member='yes'), dict(checkpoint=1),
                dict(defaults='gpu'), dict(chunk=0)):
        with pytest.raises(ValueError,
                           match=rf'ablation_cfg\.{next(iter(bad))}'):
            make_net(ablation_cfg=bad)


@pytest.mark.parametrize('state', ['train', 'eval', 'frozen_train',
                                   'frozen_eval', 'mixed_eps'])
def test_merged_bn_equals_one_call_per_module(state):
    from mmddarts.models.search.member_ops import merged_bn
    torch.manual_seed(0)
    bns = [nn.BatchNorm2d(c, affine=False).double() for c in (3, 4, 3)]
    if state == 'mixed_eps':
        bns[1].eps = 1e-3  # not mergeable: falls back to one call each
    for b in bns:  # non-trivial running statistics
        b.running_mean.uniform_(-1, 1)
        b.running_var.uniform_(0.5, 2)
        b.train(not state.endswith('eval'))
    ref = copy.deepcopy(bns)
    xs = [torch.randn(2, b.num_features, 5, 5, dtype=torch.float64,
                      requires_grad=True) for b in bns]
    frozen = state.startswith('frozen')
    for m in bns + ref:
        m.track_running_stats = not frozen
    counters = []
    out = merged_bn(bns, xs, 1, counters)
    exp = [m(x) for m, x in zip(ref, xs)]
    if counters:
        torch._foreach_add_(counters, 1)
    assert _max_diff(out, exp) <= TOL
    cot = [torch.randn_like(o) for o in out]
    assert _max_diff(torch.autograd.grad(out, xs, cot),
                     torch.autograd.grad(exp, xs, cot)) <= TOL
    for m, r in zip(bns, ref):
        assert torch.allclose(m.running_mean, r.running_mean, atol=TOL)
        assert torch.allclose(m.running_var, r.running_var, atol=TOL)
        assert m.num_batches_tracked.item() == r.num_batches_tracked.item()
