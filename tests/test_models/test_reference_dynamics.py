"""``reference_dynamics=True`` against a hand-written transcription of the
D-DARTS authors' search loop (aheuillet/D-DARTS architect.py ``step`` and
train_search.py ``train``), written here with plain torch: per-cell Adam
optimizers, one forward, ``backward(retain_graph=True)`` of each cell's loss
into every alpha, step and zero that cell only; then the weight step whose
``(CE + w01 * L01_all).backward()`` leaves alpha grads behind that nobody
zeroes. Tiny supernet, float64, three iterations."""
import copy

import pytest
import torch
import torch.nn.functional as F

pytest.importorskip('mmpretrain')

from mmengine.model import BaseDataPreprocessor  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

from mmddarts.engine.optimizers import \
    SearchOptimWrapperConstructor  # noqa: E402
from mmddarts.models.algorithms import DDartsSearch  # noqa: E402

W01, ARCH_LR, W_LR, CLIP = 7.0, 3e-3, 0.05, 5.0


def make_model(alpha_owners=None, reference_dynamics=True):
    """The authors' dynamics, or (False) the plain reference-mode step."""
    torch.manual_seed(0)
    net = dict(type='mmddarts.DDartsSupernet', num_classes=3, channels=4,
               num_cells=3, steps=2, in_channels=3)
    if alpha_owners is not None:
        net['alpha_owners'] = alpha_owners
    model = DDartsSearch(
        architecture=net, data_preprocessor=BaseDataPreprocessor(),
        arch_strategy=dict(
            type='mmddarts.' + ('ReferenceDynamicsArchStep' if
                                reference_dynamics else 'LeaveOneOutArchStep'),
            w01=W01, w_abl=0.5, ablation='reference')).double()
    with torch.no_grad():
        for a in model.arch_parameters():
            a.normal_(0, 0.5)
    return model.train()


def build_optim(model):
    return SearchOptimWrapperConstructor(dict(
        architecture=dict(optimizer=dict(
            type='Adam', lr=ARCH_LR, betas=(0.9, 0.999), weight_decay=1e-3)),
        weights=dict(optimizer=dict(type='SGD', lr=W_LR, momentum=0.9,
                                    weight_decay=3e-4),
                     clip_grad=dict(max_norm=CLIP))))(model)


def make_batch(seed, n=4, size=8):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, size, size, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (n, ), generator=g)
    return dict(inputs=x,
                data_samples=[DataSample().set_gt_label(int(t)) for t in y])


def xy(batch):
    return batch['inputs'], torch.tensor(
        [int(ds.gt_label) for ds in batch['data_samples']])


def authors_loop(net, iters):
    """Transcription of the authors' loop. ``iters``: (weights batch, arch
    batch, search) per iteration; search=False is a pretraining iteration
    (no architect.step)."""
    half = torch.tensor(0.5, dtype=torch.float64)
    alphas = list(net.arch_parameters())
    # every owning cell in position order has its own criterion and Adam
    owners = sorted(range(len(alphas)), key=lambda j: net.owner_cells[j][0])
    cell_optims = {j: torch.optim.Adam([alphas[j]], lr=ARCH_LR,
                                       betas=(0.9, 0.999), weight_decay=1e-3)
                   for j in owners}
    weights = net.weight_parameters()
    model_optimizer = torch.optim.SGD(weights, W_LR, momentum=0.9,
                                      weight_decay=3e-4)
    for batch_w, batch_a, search in iters:
        if search:  # architect.step
            x, y = xy(batch_a)
            logits = net(x)
            for j in owners:
                loss = F.cross_entropy(logits, y) + W01 * -F.mse_loss(
                    torch.sigmoid(alphas[j]), half)
                loss.backward(retain_graph=True)
                cell_optims[j].step()
                cell_optims[j].zero_grad(set_to_none=True)
        x, y = xy(batch_w)
        logits = net(x)
        aux_input = torch.sigmoid(torch.stack(alphas))  # arch_parameters()
        loss = F.cross_entropy(logits, y) + W01 * -F.mse_loss(aux_input, half)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(weights, CLIP)
        model_optimizer.step()
        model_optimizer.zero_grad(set_to_none=True)  # weights only
    return [a.detach() for a in alphas]


def run_ours(model, iters):
    optim = build_optim(model)
    for batch_w, batch_a, search in iters:
        model.arch_update = search
        model.train_step(dict(weights=batch_w, arch=batch_a), optim)
    return [a.detach() for a in model.arch_parameters()]


def iterations(search_flags):
    return [(make_batch(10 + i), make_batch(20 + i), s)
            for i, s in enumerate(search_flags)]


@pytest.mark.parametrize('owners,flags', [
    (None, (True, True, True)),
    # shared owners stepped by first cell (owner 1 first); a pretraining
    # iteration whose leaked alpha grads the first search step inherits
    ([1, 0, 1], (False, True, True, True)),
])
def test_matches_the_authors_loop(owners, flags):
    model = make_model(owners)
    net0 = copy.deepcopy(model.architecture)
    start = [a.detach().clone() for a in model.arch_parameters()]
    iters = iterations(flags)
    want = authors_loop(net0, iters)
    got = run_ours(model, iters)
    for g, w, s in zip(got, want, start):
        assert (w - s).abs().max() > 1e-3  # the alphas did move
        torch.testing.assert_close(g, w, rtol=0, atol=1e-6)
    # and the default dynamics are measurably different
    plain = run_ours(make_model(owners, reference_dynamics=False), iters)
    assert max(float((p - w).abs().max()) for p, w in zip(plain, want)) \
        > 1e-5


def test_requires_reference_ablation():
    net = dict(type='mmddarts.DDartsSupernet', num_classes=3, channels=4,
               num_cells=3, steps=2)
    with pytest.raises(ValueError, match="ablation='reference'"):
        DDartsSearch(architecture=net, arch_strategy=dict(
            type='mmddarts.ReferenceDynamicsArchStep', ablation='exact'))
    # the flat options of release d025874 map onto the same strategy
    with pytest.raises(ValueError, match="ablation='reference'"):
        DDartsSearch(architecture=net, ablation='exact',
                     reference_dynamics=True)
