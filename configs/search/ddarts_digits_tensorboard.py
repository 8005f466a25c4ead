# The digits search logged to TensorBoard as well: the pattern for any
# config (a child that replaces the visualizer's backend list). Scalars
# (losses, lr, per-cell mc / labl / dominant ops, the alpha curves
# `search_alpha/<owner>/<op>`, the architecture distance) and the final
# genotype drawings (images `genotype_<method>`) go to
# WORK_DIR/<timestamp>/vis_data/ (TensorBoard event files next to the local
# scalars.json); the PNG files and JSON outputs of the hooks are unchanged.
#   pip install -r requirements/optional.txt   # tensorboard
#   python tools/train.py configs/search/ddarts_digits_tensorboard.py
#   tensorboard --logdir work_dirs/search/ddarts_digits_tensorboard
# Without a config file, `--cfg-options
# visualizer.vis_backends.0.type=TensorboardVisBackend` swaps the local
# backend of any search config for TensorBoard.
_base_ = ['./ddarts_digits.py']
visualizer = dict(vis_backends=[
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
])
