"""The float64 toy supernet shared by the second-order and Shapley tests
(not a test module): 3 cells, channels=4, 2 steps, random non-trivial
alphas."""
import torch

from mmddarts.models.search import DDartsSupernet


def make_net(seed=0, **kwargs):
    torch.manual_seed(seed)
    cfg = dict(num_classes=4, channels=4, num_cells=3, steps=2,
               ablation_cfg=dict(rel_eps=0.0))
    cfg.update(kwargs)
    net = DDartsSupernet(**cfg).double().train()
    with torch.no_grad():
        for a in net.arch_parameters():
            a.normal_(0, 1)
    return net
