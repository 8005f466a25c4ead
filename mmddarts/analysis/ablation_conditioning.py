"""How large the exact ablation gradient gets next to the CE gradient.

``Labl_i = 1 - mc_i / m`` divides by the mean marginal contribution ``m``;
its gradient divides by ``m^2``. On fresh alphas the contributions have both
signs and ``m`` can nearly cancel. :func:`conditioning_rows` measures, on
batches of scikit-learn's digits (offline), ``m``, ``mean|mc|``, the norms
of the CE and of the ablation part of the alpha gradient, and whether the
guard (``rel_eps``, the supernet's ``ablation_cfg.rel_eps``) would switch the
term off.
"""
import torch

from mmddarts.datasets.digits import load_digits_arrays
from mmddarts.models.losses.ablation_loss import ablation_guard
from mmddarts.models.search import DDartsSupernet
from mmddarts.models.search.supernet import REL_EPS_DEFAULT


def _norm(grads):
    return float(torch.cat([g.flatten() for g in grads]).norm())


def _alpha_grads(net, x, y, **kwargs):
    for a in net.arch_parameters():
        a.grad = None
    logs = net.arch_step_grads(x, y, w01=0.0, **kwargs)
    return [a.grad.clone() for a in net.arch_parameters()], logs


def guard_rel_eps(rel_eps=None):
    """The guard evaluated: ``rel_eps``, or the supernet's default."""
    return REL_EPS_DEFAULT if rel_eps is None else rel_eps


def conditioning_rows(cells=8, C=8, steps=3, batch=64, img=16, batches=6,
                      rel_eps=None, seed=0):
    """One dict per digits batch: ``m``, ``mean_abs_mc``, ``ratio``
    (``|m| / mean|mc|``), ``ce_grad_norm``, ``abl_grad_norm``,
    ``abl_over_ce`` and ``guarded`` (the guard at ``rel_eps`` would fire),
    on a fresh supernet of ``cells`` cells (the caller seeds torch)."""
    imgs, labels = load_digits_arrays(img)
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255.
    x = (x - x.mean()) / x.std()
    y = torch.from_numpy(labels)
    net = DDartsSupernet(num_classes=10, channels=C, num_cells=cells,
                         steps=steps, ablation_cfg=dict(rel_eps=0.0)).train()
    rel_eps = guard_rel_eps(rel_eps)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(batches):
        idx = torch.randint(0, len(x), (batch, ), generator=gen)
        xb, yb = x[idx], y[idx]
        draw = int(torch.randint(0, 2**31 - 1, (1, ), generator=gen))
        ce, _ = _alpha_grads(net, xb, yb, w_abl=0.0, ablation='none')
        full, logs = _alpha_grads(
            net, xb, yb, w_abl=1.0, ablation='exact',
            generator=torch.Generator().manual_seed(draw))
        abl = [f - c for f, c in zip(full, ce)]
        mc = logs['mc']
        m, guarded = ablation_guard(mc, net.ablation_cfg['eps'], rel_eps)
        n_ce, n_abl = _norm(ce), _norm(abl)
        yield dict(m=float(m), mean_abs_mc=float(mc.abs().mean()),
                   ratio=float(m.abs() / mc.abs().mean()), ce_grad_norm=n_ce,
                   abl_grad_norm=n_abl, abl_over_ce=n_abl / n_ce,
                   guarded=int(guarded))
