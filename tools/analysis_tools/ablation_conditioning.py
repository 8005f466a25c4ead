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

from mmddarts.analysis.ablation_conditioning import (conditioning_rows,
                                                     guard_rel_eps)
from mmddarts.utils.cli_args import add_supernet_size_args


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_supernet_size_args(p, cells=8, C=8, batch=64, img=16)
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--batches', type=int, default=6)
    p.add_argument('--rel-eps', type=float, default=None,
                   help="guard to evaluate (default: the supernet's)")
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=1)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rel_eps = guard_rel_eps(args.rel_eps)
    print(f'{args.cells} cells, C={args.C}, batch {args.batch}, '
          f'{args.img}x{args.img}, guard rel_eps={rel_eps}')
    print('batch,m,mean_abs_mc,ratio,ce_grad_norm,abl_grad_norm,'
          'abl_over_ce,guarded')
    rows = conditioning_rows(args.cells, args.C, args.steps, args.batch,
                             args.img, args.batches, args.rel_eps, args.seed)
    for b, r in enumerate(rows):
        print(f'{b},{r["m"]:+.3e},{r["mean_abs_mc"]:.3e},{r["ratio"]:.3f},'
              f'{r["ce_grad_norm"]:.3e},{r["abl_grad_norm"]:.3e},'
              f'{r["abl_over_ce"]:.1f},{r["guarded"]}')


if __name__ == '__main__':
    main()
