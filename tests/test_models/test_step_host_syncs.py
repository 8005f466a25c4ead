"""No host synchronisation inside a search step (issue 9).

``OpCounter`` sees every ``aten._local_scalar_dense`` (``.item()``,
``float(t)``, ``bool(t)``): on a GPU each one makes the host wait for the
device. A full ``DDartsSearch.train_step`` used to do 11-16 of them (the
ablation guard, the loss scale, Adam's per-parameter step counters, the
clipped gradient norm, the hooks' ``.cpu()`` logs); now the architecture
and weight steps do none and ``train_step`` at most one (the single host
copy of the log values, a device-to-host copy that a CPU run does not
need). The logged values are checked against hand computations.
"""
import pytest
import torch

pytest.importorskip('mmpretrain')


from mmddarts.engine.optimizers import \
    SearchOptimWrapperConstructor  # noqa: E402
from mmddarts.models.algorithms import DDartsSearch  # noqa: E402
from mmddarts.models.algorithms.ddarts_search import \
    logs_to_host  # noqa: E402
from mmddarts.profiling.op_counter import OpCounter  # noqa: E402
from mmddarts.testing.search_batch import make_batch  # noqa: E402


def build(ablation, eps, clip=5.0):
    torch.manual_seed(0)
    model = DDartsSearch(
        architecture=dict(type='mmddarts.DDartsSupernet', num_classes=3,
                          channels=4, num_cells=3, steps=2,
                          ablation_cfg=dict(eps=eps), alpha_mode='individual'),
        arch_strategy=dict(type='mmddarts.LeaveOneOutArchStep', w01=7.0,
                           w_abl=0.5, ablation=ablation),
        parse_methods=('darts', ))
    model.train()
    weights = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                                  weight_decay=3e-4))
    if clip:
        weights['clip_grad'] = dict(max_norm=clip)
    optim = SearchOptimWrapperConstructor(dict(
        architecture=dict(optimizer=dict(type='Adam', lr=3e-3,
                                         weight_decay=1e-3)),
        weights=weights))(model)
    return model, optim


def data(i):
    return dict(weights=make_batch(10 + i, n=2),
                arch=make_batch(20 + i, n=2))


@pytest.mark.parametrize('ablation', ['exact', 'reference', 'none'])
@pytest.mark.parametrize('eps', [1e9, 0.0])  # guard firing / not
def test_no_syncs_in_the_steps(ablation, eps):
    model, optim = build(ablation, eps)
    model.train_step(data(0), optim)  # warm-up: optimizer states exist
    batch = data(1)  # (the test's own int(y) reads: outside the count)
    with OpCounter() as full:
        logs = model.train_step(batch, optim)
    assert full.syncs <= 1, dict(full.sync_names)
    batch_w, batch_a = model._split_batch(data(2))
    with OpCounter() as arch:
        model.arch_step(batch_a, optim['architecture'])
    with OpCounter() as weight:
        model.weight_step(batch_w, optim['weights'])
    assert arch.syncs == 0, dict(arch.sync_names)
    assert weight.syncs == 0, dict(weight.sync_names)
    assert arch.ops > 0 and weight.ops > 0
    # the logs are host tensors (the logger's .item() reads no device)
    assert all(v.device.type == 'cpu' for v in logs.values())
    if ablation != 'none':
        guarded = float(eps > 0)
        assert float(logs['arch_abl_guarded']) == guarded
        per_owner = model.latest_arch_logs
        mc, labl = per_owner['mc'], per_owner['labl']
        if guarded:
            assert torch.equal(labl, torch.zeros_like(labl))
        else:  # Labl_i = 1 - mc_i / mean(mc), by hand
            m = sum(mc.tolist()) / len(mc)
            want = [1 - x / m for x in mc.tolist()]
            assert labl.tolist() == pytest.approx(want, rel=1e-5, abs=1e-6)
        assert per_owner['abl_guarded'].item() == guarded


def test_grad_norm_is_logged_from_the_device():
    """``grad_norm`` (mmengine's ``train/grad_norm``) is the total norm of
    the weight gradients before clipping, computed here independently."""
    model, optim = build('none', 1e-8, clip=1e-3)  # clipping certainly on
    model.arch_update = False  # the weight step alone
    batch = data(0)
    staged = model._split_batch(batch)[0]
    weights = model.weight_parameters()
    logits = model.architecture(staged['inputs'])
    targets = model._targets(staged['data_samples'], logits.device)
    loss = torch.nn.functional.cross_entropy(logits, targets)
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    want = sum(float((g.double()**2).sum()) for g in grads
               if g is not None)**0.5
    before = [w.detach().clone() for w in weights]
    logs = model.train_step(batch, optim)
    assert float(logs['grad_norm']) == pytest.approx(want, rel=1e-5)
    assert optim['weights'].pop_grad_norm() is None  # consumed
    # clipped to max_norm: SGD's first step moves by lr * (clipped g + wd)
    lr, wd, coef = 0.01, 3e-4, 1e-3 / (want + 1e-6)
    for w, w0, g in zip(weights, before, grads):
        if g is None:
            continue
        step = w0 - lr * (g * coef + wd * w0)
        torch.testing.assert_close(w.detach(), step, rtol=1e-4, atol=1e-7)


def test_logs_to_host_is_one_copy_per_dtype():
    log_vars = dict(a=torch.tensor(1.5), b=torch.tensor(-2.0),
                    c=torch.tensor(3.0, dtype=torch.float64),
                    v=torch.arange(3.0), s='text')
    with OpCounter() as c:
        out = logs_to_host(log_vars)
    assert c.by_name['aten.stack'] == 2 and c.syncs == 0  # f32, f64
    assert out['s'] == 'text' and out['v'] is log_vars['v']
    for k in 'abc':
        assert out[k].dtype == log_vars[k].dtype
        assert out[k].item() == log_vars[k].item()


EXACT = dict(type='mmddarts.LeaveOneOutArchStep', ablation='exact')


@pytest.mark.parametrize('options', [
    dict(arch_strategy=dict(type='mmddarts.ReferenceDynamicsArchStep')),
    dict(arch_strategy=dict(type='mmddarts.UnrolledArchStep', inner=EXACT)),
    dict(arch_strategy=dict(EXACT, type='mmddarts.ShapleyArchStep',
                            num_permutations=2)),
])
def test_no_syncs_in_the_variants(options):
    """The authors' dynamics (a fused Adam skips non-finite owner steps
    itself), the unrolled step (``||v|| = 0`` decided on the device) and
    Shapley contributions without truncation."""
    torch.manual_seed(0)
    model = DDartsSearch(
        architecture=dict(type='mmddarts.DDartsSupernet', num_classes=3,
                          channels=4, num_cells=3, steps=2),
        parse_methods=('darts', ), **options)
    model.train()
    optim = SearchOptimWrapperConstructor(dict(
        architecture=dict(optimizer=dict(type='Adam', lr=3e-3)),
        weights=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9),
                     clip_grad=dict(max_norm=5.0))))(model)
    model.train_step(data(0), optim)
    batch = data(1)
    with OpCounter() as c:
        logs = model.train_step(batch, optim)
    assert c.syncs == 0, dict(c.sync_names)
    assert float(logs['arch_grads_finite']) == 1.0


def test_genotype_hook_accumulates_on_the_device():
    """The hook's per-iteration bookkeeping reads nothing on the host; its
    epoch totals keep the former semantics (skipped steps out, guarded
    steps out of labl only)."""
    from types import SimpleNamespace

    from mmddarts.engine.hooks.genotype_export_hook import \
        GenotypeExportHook
    hook = GenotypeExportHook(draw=False)
    model = SimpleNamespace(latest_arch_logs={},
                            latest_arch_grads_finite=None)
    runner = SimpleNamespace(model=model)
    hook.before_train_epoch(runner)
    steps = [  # mc, labl, guarded, grads finite
        ([0.2, 0.4], [0.5, -0.5], 0., True),
        ([0.1, -0.1], [0., 0.], 1., True),
        ([9.0, 9.0], [9.0, 9.0], 0., False),  # overflowed: skipped
        ([float('nan'), 1.0], [0.0, 0.0], 0., True),  # non-finite: skipped
        ([0.3, 0.6], [1.0, -1.0], 0., True),
    ]
    with OpCounter() as c:
        for mc, labl, guarded, finite in steps:
            model.latest_arch_logs = dict(
                mc=torch.tensor(mc), labl=torch.tensor(labl),
                abl_guarded=torch.tensor(guarded))
            model.latest_arch_grads_finite = torch.tensor(finite)
            hook.after_train_iter(runner, 0)
    assert c.syncs == 0, dict(c.sync_names)
    hook._read_counts()
    assert (hook._count, hook._guarded, hook._skipped) == (3, 1, 2)
    assert hook._sums['mc'].tolist() == pytest.approx([0.6, 0.9])
    assert hook._sums['labl'].tolist() == pytest.approx([1.5, -1.5])
