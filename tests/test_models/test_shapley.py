"""Monte-Carlo permutation Shapley cell contributions.

Independent references: the exact Shapley value by enumerating every subset
of owners (``sum_S |S|! (n-|S|-1)! / n! * marginal``, each ``L(S)`` from a
full forward pass with the owners in ``S`` ablated), and the gradient of
every owner's ``Labl_i = 1 - phi_i / mean(phi)`` by autograd through the
naive estimator (full forward passes along each permutation, no prefix
reuse, no formula). Tiny float64 supernets.
"""
import copy
import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from mmddarts.models.search.ablation import arch_step_grads
from mmddarts.models.search.shapley import (marginals_from_losses,
                                            sample_permutations,
                                            shapley_arch_step_grads,
                                            shapley_estimate)

from mmddarts.testing.toy_supernet import make_net  # noqa: E402,F401
from mmddarts.testing.two_ranks import run_two_ranks  # noqa: E402

W01, WABL, SEED = 7.0, 0.5, 1234


def batch(seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 3, 8, 8, generator=g, dtype=torch.float64)
    y = torch.randint(0, 4, (3, ), generator=g)
    return x, y


class Game:
    """``L(A)`` by full forward passes, with the documented draws (owner 0
    first, one tensor per owner)."""

    def __init__(self, net, x, y, seed=SEED):
        self.net, self.x, self.y = net, x, y
        gen = torch.Generator().manual_seed(seed)
        self.rnd = [net.draw_ablation_weights(j, gen)
                    for j in range(net.num_owners)]
        self.base = net.position_weights()

    def loss(self, ablated):
        w = list(self.base)
        for j in ablated:
            for t, k in enumerate(self.net.owner_cells[j]):
                w[k] = self.rnd[j][t]
        return F.cross_entropy(self.net(self.x, weights=w), self.y)


def exact_shapley(n, value):
    """Shapley value of owner j for the 'loss with A ablated' game, by
    enumerating every subset A of the other owners."""
    phi = []
    for j in range(n):
        others = [i for i in range(n) if i != j]
        tot = 0.0
        for size in range(n):
            wgt = math.factorial(size) * math.factorial(n - size - 1) \
                / math.factorial(n)
            for sub in itertools.combinations(others, size):
                tot = tot + wgt * (value(frozenset(sub)) -
                                   value(frozenset(sub) | {j}))
        phi.append(tot)
    return torch.stack([torch.as_tensor(p) for p in phi])


def naive_estimate(game, perms, truncation=0.0):
    """Estimator built from full passes, with graph; truncation replayed on
    the values."""
    n = game.net.num_owners
    L = game.loss(())
    L_all = game.loss(range(n))
    marg = [[0.0] * n for _ in perms]
    n_trunc = 0
    for k, perm in enumerate(perms):
        prev = L
        for p in range(1, n + 1):
            cur = game.loss(perm[:p])
            marg[k][perm[p - 1]] = prev - cur
            prev = cur
            if (truncation and p < n and float((cur - L_all).abs()) <=
                    truncation * float((L - L_all).abs())):
                n_trunc += 1
                break
    phi = torch.stack([sum(marg[k][j] for k in range(len(perms))) /
                       len(perms) for j in range(n)])
    return phi, L, n_trunc


@pytest.mark.parametrize('cfg', [dict(), dict(num_cells=4),
                                 dict(alpha_owners=[0, 1, 0])])
def test_all_permutations_equal_exact_shapley(cfg):
    net = make_net(**cfg)
    x, y = batch()
    game = Game(copy.deepcopy(net), x, y)
    n = net.num_owners
    with torch.no_grad():
        exact = exact_shapley(n, game.loss)
    perms = list(itertools.permutations(range(n)))
    logs = shapley_arch_step_grads(
        net, x, y, ablation='reference', permutations=perms,
        generator=torch.Generator().manual_seed(SEED))
    print(f'{n} owners: exact {exact.tolist()} est {logs["mc"].tolist()}')
    torch.testing.assert_close(logs['mc'], exact, rtol=0, atol=1e-12)
    # efficiency: sum phi = L - L(all ablated)
    with torch.no_grad():
        torch.testing.assert_close(logs['mc'].sum(),
                                   game.loss(()) - game.loss(range(n)))
    assert (exact.abs() > 1e-4).all()


def test_one_permutation_first_owner_is_leave_one_out():
    net = make_net()
    x, y = batch()
    loo = copy.deepcopy(net)
    mc = arch_step_grads(loo, x, y, ablation='reference',
                         generator=torch.Generator().manual_seed(SEED))['mc']
    for first in range(3):
        perm = [first] + [j for j in range(3) if j != first]
        logs = shapley_arch_step_grads(
            copy.deepcopy(net), x, y, ablation='reference',
            permutations=[perm],
            generator=torch.Generator().manual_seed(SEED))
        assert abs(float(logs['mc'][first] - mc[first])) < 1e-12
        assert 'mc_se' not in logs


def test_monte_carlo_error_falls_like_inverse_sqrt_k():
    """RMSE of the K-permutation estimate over 400 fixed-seed repetitions,
    on the exact game table of a 4-owner supernet: RMSE * sqrt(K) stays
    constant (to sampling noise), and the logged standard error matches the
    actual error."""
    net = make_net(num_cells=4)
    x, y = batch()
    game = Game(net, x, y)
    n = 4
    with torch.no_grad():
        table = {frozenset(s): game.loss(s) for size in range(n + 1)
                 for s in itertools.combinations(range(n), size)}
    exact = exact_shapley(n, table.__getitem__)
    gen = torch.Generator().manual_seed(0)
    reps = 400
    scaled, se_ratio = [], []
    for k in (1, 4, 16, 64):
        sq, se2 = 0.0, 0.0
        for _ in range(reps):
            perms = sample_permutations(n, k, gen)
            losses = torch.stack([torch.stack(
                [table[frozenset(p[:i])] for i in range(n + 1)])
                for p in perms.tolist()])
            phi, se = shapley_estimate(marginals_from_losses(perms, losses))
            sq += float(((phi - exact)**2).mean())
            if se is not None:
                se2 += float((se**2).mean())
        rmse = math.sqrt(sq / reps)
        scaled.append(rmse * math.sqrt(k))
        if k > 1:
            se_ratio.append(math.sqrt(se2 / reps) / rmse)
    print('RMSE * sqrt(K), K = 1, 4, 16, 64:', scaled, 'se/rmse', se_ratio)
    for s in scaled[1:]:
        assert 0.85 < s / scaled[0] < 1.15, scaled
    for r in se_ratio:
        assert 0.85 < r < 1.15, se_ratio


def test_sampled_estimate_within_its_standard_error():
    net = make_net(num_cells=4)
    x, y = batch()
    with torch.no_grad():
        exact = exact_shapley(4, Game(copy.deepcopy(net), x, y).loss)
    logs = shapley_arch_step_grads(
        net, x, y, ablation='reference', num_permutations=12,
        generator=torch.Generator().manual_seed(SEED))
    z = (logs['mc'] - exact).abs() / logs['mc_se']
    assert (z < 4).all(), z


def brute_force_grads(net, x, y, perms, truncation=0.0, w01=W01,
                      w_abl=WABL):
    net = copy.deepcopy(net)
    game = Game(net, x, y)
    phi, L, n_trunc = naive_estimate(game, perms, truncation)
    out = []
    for i, a in enumerate(net.arch_parameters()):
        li = L + w01 * -((torch.sigmoid(a) - 0.5)**2).mean() + \
            w_abl * (1 - phi[i] / phi.mean())
        out.append(torch.autograd.grad(li, a, retain_graph=True)[0])
    return out, phi.detach(), n_trunc


GRAD_CASES = [
    dict(),
    dict(alpha_mode='shared'),
    dict(alpha_owners=[0, 1, 0]),
    dict(mixing='softmax'),
    dict(num_cells=4),
]


@pytest.mark.parametrize('cfg', GRAD_CASES)
def test_shapley_ablation_gradient_matches_brute_force(cfg):
    net = make_net(**cfg)
    x, y = batch()
    n = net.num_owners
    perms = sample_permutations(n, 3, torch.Generator().manual_seed(5))
    expected, phi, _ = brute_force_grads(net, x, y, perms.tolist())
    logs = shapley_arch_step_grads(
        net, x, y, w01=W01, w_abl=WABL, permutations=perms,
        generator=torch.Generator().manual_seed(SEED))
    assert logs['abl_guarded'] == 0
    torch.testing.assert_close(logs['mc'], phi, rtol=0, atol=1e-12)
    for i, (a, e) in enumerate(zip(net.arch_parameters(), expected)):
        assert e.abs().max() > 1e-3
        torch.testing.assert_close(a.grad, e, rtol=1e-9, atol=1e-12,
                                   msg=f'owner {i}')


def test_truncated_gradient_matches_brute_force():
    net = make_net(num_cells=4)
    x, y = batch()
    perms = sample_permutations(4, 6, torch.Generator().manual_seed(3))
    # a tolerance that truncates some permutations but not all
    game = Game(copy.deepcopy(net), x, y)
    with torch.no_grad():
        L, L_all = game.loss(()), game.loss(range(4))
        # a permutation truncates iff one of its passes 1..n-1 is within
        # tol * |L - L_all| of L_all
        ratios = sorted(min(float((game.loss(p[:i]) - L_all).abs() /
                                  (L - L_all).abs()) for i in range(1, 4))
                        for p in perms.tolist())
    tol = (ratios[2] + ratios[3]) / 2
    expected, phi, n_trunc = brute_force_grads(net, x, y, perms.tolist(),
                                               truncation=tol)
    assert 0 < n_trunc < 6
    logs = shapley_arch_step_grads(
        net, x, y, w01=W01, w_abl=WABL, permutations=perms,
        truncation=tol, generator=torch.Generator().manual_seed(SEED))
    assert float(logs['shapley_truncated']) == pytest.approx(n_trunc / 6)
    torch.testing.assert_close(logs['mc'], phi, rtol=0, atol=1e-12)
    for a, e in zip(net.arch_parameters(), expected):
        torch.testing.assert_close(a.grad, e, rtol=1e-9, atol=1e-12)


def test_reference_mode_adds_no_ablation_gradient_and_no_weight_grads():
    net = make_net()
    x, y = batch()
    expected, _, _ = brute_force_grads(net, x, y, [[0, 1, 2]], w_abl=0.0)
    state = copy.deepcopy(net.state_dict())
    plain = copy.deepcopy(net)
    plain(x)  # one training forward: the BN update the step may do
    shapley_arch_step_grads(net, x, y, ablation='reference',
                            permutations=[[0, 1, 2]] * 2)
    for a, e in zip(net.arch_parameters(), expected):
        torch.testing.assert_close(a.grad, e, rtol=1e-9, atol=1e-12)
    assert all(p.grad is None for p in net.weight_parameters())
    for k, v in net.state_dict().items():
        ref = plain.state_dict()[k] if 'running' in k or 'batches' in k \
            else state[k]
        assert torch.equal(v, ref), k


def test_data_parallel_reduce_gives_global_objective_gradient():
    net = make_net()
    batches = [batch(1), batch(2)]
    perms = [[2, 0, 1], [1, 2, 0]]
    ref = copy.deepcopy(net)
    games = [Game(ref, x, y) for x, y in batches]

    class Mean:
        net = ref

        def loss(self, ablated):
            return sum(g.loss(ablated) for g in games) / 2

    phi, L, _ = naive_estimate(Mean(), perms)
    expected = [torch.autograd.grad(
        L + W01 * -((torch.sigmoid(a) - 0.5)**2).mean() +
        WABL * (1 - phi[i] / phi.mean()), a, retain_graph=True)[0]
        for i, a in enumerate(ref.arch_parameters())]
    nets = [net, copy.deepcopy(net)]
    run_two_ranks([
        lambda reduce, r=r: shapley_arch_step_grads(
            nets[r], *batches[r], permutations=perms,
            generator=torch.Generator().manual_seed(SEED), reduce=reduce)
        for r in (0, 1)])
    for r in (0, 1):
        for a, e in zip(nets[r].arch_parameters(), expected):
            torch.testing.assert_close(a.grad, e, rtol=1e-9, atol=1e-12)


def test_errors():
    net = make_net()
    x, y = batch()
    with pytest.raises(ValueError, match="ablation must be one of"):
        shapley_arch_step_grads(net, x, y, ablation='none')
    with pytest.raises(ValueError, match='num_permutations'):
        shapley_arch_step_grads(net, x, y, num_permutations=0)
    with pytest.raises(ValueError, match='permutations of 0..2'):
        shapley_arch_step_grads(net, x, y, permutations=[[0, 0, 1]])
    with pytest.raises(ValueError, match='per rank'):
        shapley_arch_step_grads(net, x, y, truncation=0.1,
                                reduce=lambda ts: None)
