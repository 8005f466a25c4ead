"""DDartsSearch.train_step: gradient hygiene, order of the two steps, the
arch-step switch, and the two-optimizer constructor.

Every expectation is recomputed by hand on a deep copy of the model with plain
torch (autograd + torch.optim), not read back from the code under test.
"""
import copy

import pytest
import torch
import torch.nn.functional as F

pytest.importorskip('mmpretrain')

from mmengine.optim import OptimWrapperDict  # noqa: E402

from mmddarts.engine.hooks import ArchStepScheduleHook  # noqa: E402
from mmddarts.engine.optimizers import \
    SearchOptimWrapperConstructor  # noqa: E402
from mmddarts.models.algorithms import DDartsSearch  # noqa: E402
from mmddarts.testing.search_batch import make_batch  # noqa: E402


TINY_NET = dict(type='mmddarts.DDartsSupernet', num_classes=3, channels=4,
                num_cells=3, steps=2, in_channels=3)


def make_model(architecture=TINY_NET, **objective):
    torch.manual_seed(0)
    strategy = dict(type='mmddarts.LeaveOneOutArchStep', w01=7.0, w_abl=0.0,
                    ablation='none')
    strategy.update(objective)
    model = DDartsSearch(architecture=architecture, arch_strategy=strategy)
    # Non-trivial alphas so the sigmoid weights differ between ops.
    with torch.no_grad():
        for a in model.arch_parameters():
            a.normal_(0, 0.5)
    return model


def build_optim(model, arch_lr=3e-3, w_lr=1.0, clip=None):
    weights = dict(optimizer=dict(type='SGD', lr=w_lr, momentum=0.0,
                                  weight_decay=0.0))
    if clip is not None:
        weights['clip_grad'] = dict(max_norm=clip)
    ctor = SearchOptimWrapperConstructor(
        dict(architecture=dict(optimizer=dict(
            type='Adam', lr=arch_lr, betas=(0.9, 0.999), weight_decay=1e-3)),
            weights=weights))
    return ctor(model)


def preprocess(model, batch):
    data = model.data_preprocessor(batch, True)
    targets = torch.cat([ds.gt_label for ds in data['data_samples']])
    return data['inputs'], targets


def test_constructor_splits_params():
    model = make_model()
    optim = build_optim(model)
    assert isinstance(optim, OptimWrapperDict)
    assert set(optim.keys()) == {'architecture', 'weights'}
    arch = {id(p) for g in optim['architecture'].optimizer.param_groups
            for p in g['params']}
    weights = {id(p) for g in optim['weights'].optimizer.param_groups
               for p in g['params']}
    everything = {id(p) for p in model.parameters()}
    assert arch == {id(a) for a in model.arch_parameters()}
    assert arch.isdisjoint(weights)
    assert arch | weights == everything
    assert isinstance(optim['architecture'].optimizer, torch.optim.Adam)
    assert isinstance(optim['weights'].optimizer, torch.optim.SGD)


def test_constructor_amp_override_and_errors():
    ctor = SearchOptimWrapperConstructor(dict(
        type='AmpOptimWrapper', loss_scale='dynamic', dtype='bfloat16',
        architecture=dict(optimizer=dict(type='Adam', lr=1e-3)),
        weights=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=1.))))
    for name in ('architecture', 'weights'):
        assert ctor.cfgs[name]['type'] == 'AmpOptimWrapper'
        assert ctor.cfgs[name]['loss_scale'] == 'dynamic'
        assert ctor.cfgs[name]['dtype'] == 'bfloat16'
    with pytest.raises(KeyError, match='missing'):
        SearchOptimWrapperConstructor(dict(
            weights=dict(optimizer=dict(type='SGD', lr=1.))))
    with pytest.raises(KeyError, match='unknown'):
        SearchOptimWrapperConstructor(dict(
            architecture=dict(optimizer=dict(type='Adam', lr=1.)),
            weights=dict(optimizer=dict(type='SGD', lr=1.)),
            generator=dict(optimizer=dict(type='SGD', lr=1.))))
    with pytest.raises(ValueError, match='weights.accumulative_counts=2'):
        SearchOptimWrapperConstructor(dict(
            architecture=dict(optimizer=dict(type='Adam', lr=1.)),
            weights=dict(optimizer=dict(type='SGD', lr=1.),
                         accumulative_counts=2)))


def test_train_step_matches_manual_bilevel_step():
    """Arch step on the arch batch only, then a weight step whose gradient
    comes only from the weights batch, evaluated at the *updated* alphas."""
    model = make_model()
    ref = copy.deepcopy(model)
    optim = build_optim(model, arch_lr=3e-3, w_lr=1.0)
    batch_w, batch_a = make_batch(1), make_batch(2)

    model.train()
    logs = model.train_step(dict(weights=batch_w, arch=batch_a), optim)
    assert {'loss', 'acc', 'arch_loss', 'arch_ce', 'arch_l01'} <= set(logs)

    # Expected alphas: the supernet's arch gradient on the arch batch, one
    # Adam step (torch.optim directly).
    ref.train()
    net = ref.architecture
    xa, ya = preprocess(ref, batch_a)
    net.arch_step_grads(xa, ya, w01=7.0, w_abl=0.0, ablation='none')
    adam = torch.optim.Adam(net.arch_parameters(), lr=3e-3,
                            betas=(0.9, 0.999), weight_decay=1e-3)
    adam.step()
    for a_exp, a_got in zip(net.arch_parameters(),
                            model.arch_parameters()):
        torch.testing.assert_close(a_got, a_exp, rtol=0, atol=1e-7)

    # Expected weights: w - 1.0 * dCE(weights batch)/dw at the new alphas.
    xw, yw = preprocess(ref, batch_w)
    weights = net.weight_parameters()
    loss = F.cross_entropy(net(xw), yw)
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    named = model.architecture.named_weight_parameters()
    for (name, w_got), w0, g in zip(named, weights, grads):
        expected = w0.detach() - (g if g is not None else 0)
        torch.testing.assert_close(w_got.detach(), expected, rtol=1e-5,
                                   atol=1e-6, msg=name)
    torch.testing.assert_close(logs['loss'], loss.detach(), rtol=1e-5,
                               atol=1e-6)
    # Nothing is left behind for the next iteration.
    assert all(p.grad is None for p in model.parameters())


def test_no_leak_into_alphas_when_arch_step_off():
    model = make_model()
    optim = build_optim(model, arch_lr=0.1, w_lr=0.1)
    before = [a.detach().clone() for a in model.arch_parameters()]
    model.arch_update = False
    logs = model.train_step(
        dict(weights=make_batch(1), arch=make_batch(2)), optim)
    assert not any(k.startswith('arch_') for k in logs)
    for a0, a in zip(before, model.arch_parameters()):
        assert torch.equal(a0, a.detach())
        assert a.grad is None
    # Adam holds no state: it never stepped.
    assert not optim['architecture'].optimizer.state


def test_arch_grads_do_not_reach_weights():
    """The exact-ablation arch step leaves no grad on any weight (checked on
    .grad directly: a leak would otherwise hide behind the later zeroing)."""
    model = make_model(w_abl=0.5, ablation='exact')
    optim = build_optim(model)
    data = model.data_preprocessor(make_batch(3), True)
    model.arch_step(data, optim['architecture'])
    assert all(w.grad is None for w in model.weight_parameters())
    assert all(a.grad is None for a in model.arch_parameters())
    assert 'mc' in model.latest_arch_logs
    assert model.latest_arch_logs['mc'].shape == (3, )


def test_train_step_rejects_single_batch():
    model = make_model()
    optim = build_optim(model)
    with pytest.raises(KeyError, match='SearchEpochBasedTrainLoop'):
        model.train_step(make_batch(1), optim)


def test_predict_returns_datasamples():
    model = make_model()
    model.eval()
    batch = make_batch(4)
    out = model.val_step(batch)
    assert len(out) == 4
    for ds in out:
        assert ds.pred_score.shape == (3, )
        torch.testing.assert_close(ds.pred_score.sum(), torch.tensor(1.))
        assert int(ds.pred_label) == int(ds.pred_score.argmax())
        assert 'gt_label' in ds


@pytest.mark.parametrize('warmup,interval,iters,expected', [
    (0, 1, 3, [1, 1, 1, 1, 1, 1]),
    (1, 1, 3, [0, 0, 0, 1, 1, 1]),
    (1, 2, 3, [0, 0, 0, 1, 0, 1]),
    (0, 4, 3, [1, 0, 0, 0, 1, 0]),
])
def test_arch_step_schedule(warmup, interval, iters, expected):
    hook = ArchStepScheduleHook(warmup_epochs=warmup, interval=interval)
    got = [int(hook.arch_update(i // iters, i, iters)) for i in range(6)]
    assert got == expected
    with pytest.raises(ValueError):
        ArchStepScheduleHook(interval=0)


def _cpu_amp_wrapper(monkeypatch, params, scale, enabled):
    """mmengine's AmpOptimWrapper on CPU: its accelerator assert patched
    out, its CUDA GradScaler swapped for torch's CPU one (bf16 autocast).

    Plain SGD, not Adam: Adam's update is nearly invariant to the scale of
    its gradient, so it would hide a loss scale applied twice or never."""
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp_mod
    from mmengine.optim import AmpOptimWrapper
    monkeypatch.setattr(amp_mod, 'is_cuda_available', lambda: True)
    wrapper = AmpOptimWrapper(
        optimizer=torch.optim.SGD(params, lr=0.1), loss_scale=scale,
        dtype='bfloat16')
    wrapper.loss_scaler = torch.amp.GradScaler(
        'cpu', init_scale=scale, enabled=enabled)
    return wrapper


def test_amp_arch_step_scales_and_unscales(monkeypatch):
    """fp16-style loss scaling: the architecture-step strategy gets
    loss_scale = the scaler's scale, the wrapper unscales before Adam (same
    update as unscaled), and an overflow skips the step."""
    model = make_model()
    ref = copy.deepcopy(model)
    seen = []
    orig = model.arch_strategy.grads

    def spy(*args, **kwargs):
        seen.append(kwargs['loss_scale'])
        return orig(*args, **kwargs)

    model.arch_strategy.grads = spy
    amp = _cpu_amp_wrapper(monkeypatch, model.arch_parameters(), 1024.,
                           True)
    plain = _cpu_amp_wrapper(monkeypatch, ref.arch_parameters(), 1024.,
                             False)
    data = model.data_preprocessor(make_batch(3), True)
    model.arch_step(data, amp)
    ref.arch_step(data, plain)
    assert seen == [1024.]
    for a, b in zip(model.arch_parameters(), ref.arch_parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-7)

    def overflow(*args, **kwargs):
        out = orig(*args, **kwargs)
        model.architecture.alphas[0].grad[0, 0] = float('inf')
        return out

    model.arch_strategy.grads = overflow
    before = [a.detach().clone() for a in model.arch_parameters()]
    model.arch_step(data, amp)
    for a0, a in zip(before, model.arch_parameters()):
        assert torch.equal(a0, a.detach())


def test_single_alpha_set_keeps_per_owner_logs():
    """One alpha set for every cell (DARTOpti ResNet18): the per-owner logs
    are one-element vectors and must still reach the hooks, not be taken for
    scalars."""
    model = make_model(
        architecture=dict(TINY_NET, alpha_owners=[0, 0, 0]),
        w_abl=0.5, ablation='reference')
    assert len(model.arch_parameters()) == 1
    optim = build_optim(model)
    model.train()
    model.train_step(dict(weights=make_batch(1), arch=make_batch(2)), optim)
    logs = model.latest_arch_logs
    for key in ('l01', 'mc', 'labl'):
        assert logs[key].shape == (1, ), key
    # With a single owner, mc_0 = m, so the ablation loss 1 - mc/m is 0.
    assert logs['labl'].abs().max() < 1e-6
