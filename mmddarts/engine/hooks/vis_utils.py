"""Sending the search's curves and drawings to the runner's visualizer.

Whatever backends the config's ``visualizer`` has (``LocalVisBackend``:
``vis_data/scalars.json`` and ``vis_data/vis_image/*.png``;
``TensorboardVisBackend``: TensorBoard event files, see
``configs/search/ddarts_digits_tensorboard.py``) receive them, next to the
PNG files the hooks and ``tools/analysis_tools/plot_*.py`` write.
"""
import numpy as np


def alpha_curve_scalars(model, named_weights):
    """``{'search_alpha/<owner>/<op>': mean weight of the op over the
    owner's edges}`` (the curves of ``plot_alphas.py``), from
    ``named_weights`` = [(owner name, op weights [edges, ops])]."""
    arch = getattr(model, 'architecture', model)
    scalars = {}
    for i, (name, weights) in enumerate(named_weights):
        weights = np.asarray(weights, dtype=np.float64)
        ops = tuple(getattr(arch, 'op_names', ()))
        if len(ops) != weights.shape[-1]:
            ops = tuple(f'op{k}' for k in range(weights.shape[-1]))
        means = weights.reshape(-1, weights.shape[-1]).mean(0)
        for op, value in zip(ops, means):
            scalars[f'search_alpha/{i}_{name}/{op}'] = float(value)
    return scalars


def add_png(visualizer, name, path, step=0):
    """Add the PNG file ``path`` as image ``name`` (RGB, HWC uint8)."""
    from PIL import Image
    with Image.open(path) as img:
        rgb = np.asarray(img.convert('RGB'))
    visualizer.add_image(name, rgb, step=step)
    return rgb.shape
