# DARTS (second order) on CIFAR-10: darts_c10.py with the unrolled
# architecture step of Liu et al. 2019, Eq. 7-8 (the published second-order
# search): the validation loss after one virtual SGD step of the weights on
# the training batch, xi = the weights' current lr (0.025 cosine -> 0.001),
# the weight optimizer's momentum 0.9 and weight decay 3e-4, and the
# Hessian-vector product by central finite differences with
# r = 0.01 / ||grad_w' L_val||. Alphas: Adam 3e-4, betas (0.5, 0.999),
# wd 1e-3; batch 64, 50 epochs (all from darts_c10.py).
#   python tools/train.py configs/search/darts-2nd_c10.py
_base_ = ['./darts_c10.py']
model = dict(
    arch_strategy=dict(
        _delete_=True,
        type='mmddarts.UnrolledArchStep',
        # darts_c10.py's first-order step (CE only), at the virtual weights
        inner=dict(type='mmddarts.LeaveOneOutArchStep', w01=0.0, w_abl=0.0,
                   ablation='none'),
        lr=None,  # None: the weight optimizer's (scheduled) lr
        momentum=None,  # None: its momentum (0.9)
        weight_decay=None,  # None: its weight decay (3e-4)
        eps=0.01))
