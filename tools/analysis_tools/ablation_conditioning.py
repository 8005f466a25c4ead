"""How large the exact ablation gradient gets next to the CE gradient.

``Labl_i = 1 - mc_i / m`` divides by the mean marginal contribution ``m``;
its gradient divides by ``m^2``. On fresh alphas the contributions have both
signs and ``m`` can nearly cancel. For each of ``--batches`` digits batches
this prints ``m``, ``mean|mc|``, their ratio, the norms of the CE and of the
ablation part of the alpha gradient, and whether the guard
(``--rel-eps``, the supernet's ``ablation_cfg.rel_eps``) would switch the term
off. Offline: scikit-learn's digits, no download. Example::

    python tools/analysis_tools/ablation_conditioning.py --cells 8 --C 8
"""
import argparse

import torch


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--cells', type=int, default=8)
    p.add_argument('--C', type=int, default=8)
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--img', type=int, default=16)
    p.add_argument('--batches', type=int, default=6)
    p.add_argument('--rel-eps', type=float, default=None,
                   help="guard to evaluate (default: the supernet's)")
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=1)
    return p.parse_args(argv)


def _norm(grads):
    return float(torch.cat([g.flatten() for g in grads]).norm())


def _alpha_grads(net, x, y, **kwargs):
    for a in net.arch_parameters():
        a.grad = None
    logs = net.arch_step_grads(x, y, w01=0.0, **kwargs)
    return [a.grad.clone() for a in net.arch_parameters()], logs


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    from mmddarts.datasets.digits import load_digits_arrays
    from mmddarts.models.losses.ablation_loss import ablation_guard
    from mmddarts.models.search import DDartsSupernet
    from mmddarts.models.search.supernet import REL_EPS_DEFAULT

    imgs, labels = load_digits_arrays(args.img)
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255.
    x = (x - x.mean()) / x.std()
    y = torch.from_numpy(labels)
    net = DDartsSupernet(num_classes=10, channels=args.C,
                         num_cells=args.cells, steps=args.steps,
                         ablation_cfg=dict(rel_eps=0.0)).train()
    rel_eps = REL_EPS_DEFAULT if args.rel_eps is None else args.rel_eps
    gen = torch.Generator().manual_seed(args.seed)
    print(f'{args.cells} cells, C={args.C}, batch {args.batch}, '
          f'{args.img}x{args.img}, guard rel_eps={rel_eps}')
    print('batch,m,mean_abs_mc,ratio,ce_grad_norm,abl_grad_norm,'
          'abl_over_ce,guarded')
    for b in range(args.batches):
        idx = torch.randint(0, len(x), (args.batch, ), generator=gen)
        xb, yb = x[idx], y[idx]
        seed = int(torch.randint(0, 2**31 - 1, (1, ), generator=gen))
        ce, _ = _alpha_grads(net, xb, yb, w_abl=0.0, ablation='none')
        full, logs = _alpha_grads(
            net, xb, yb, w_abl=1.0, ablation='exact',
            generator=torch.Generator().manual_seed(seed))
        abl = [f - c for f, c in zip(full, ce)]
        mc = logs['mc']
        m, guarded = ablation_guard(mc, net.ablation_cfg['eps'], rel_eps)
        ratio = float(m.abs() / mc.abs().mean())
        n_ce, n_abl = _norm(ce), _norm(abl)
        print(f'{b},{float(m):+.3e},{float(mc.abs().mean()):.3e},'
              f'{ratio:.3f},{n_ce:.3e},{n_abl:.3e},{n_abl / n_ce:.1f},'
              f'{int(guarded)}')


if __name__ == '__main__':
    main()
