# D-DARTS on CIFAR-10 with the second-order (unrolled) architecture step:
# ddarts_c10.py (8 individual cells, w01 7, w_abl 0.5, ablation logged:
# 'reference') whose per-cell objectives are evaluated after one virtual SGD
# step of the weights (lr, momentum, weight decay of the weight optimizer), the
# CE term differentiated through that step (finite differences, r = 0.01 /
# ||grad_w' CE||); L01 (and, with --cfg-options
# model.arch_strategy.inner.ablation=exact, the ablation term) keep their
# first-order gradients at the virtual weights (docs/search.md, "Second-order
# architecture step").
#   python tools/train.py configs/search/ddarts-2nd_c10.py --amp
_base_ = ['./ddarts_c10.py']
model = dict(
    arch_strategy=dict(
        _delete_=True,
        type='mmddarts.UnrolledArchStep',
        # the first-order step of ddarts_c10.py, at the virtual weights
        inner=dict(type='mmddarts.LeaveOneOutArchStep', w01=7.0, w_abl=0.5,
                   ablation='reference'),
        lr=None,  # None: the weight optimizer's (scheduled) lr
        momentum=None,  # None: its momentum
        weight_decay=None,  # None: its weight decay
        eps=0.01))
