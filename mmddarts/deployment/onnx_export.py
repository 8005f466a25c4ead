"""ONNX export of derived classifiers and detection backbones.

What is exported is the inference graph: the model in eval mode, so drop
path (training only, random) and the auxiliary head (training only) are not
in it; :func:`export_onnx` checks that no random or dropout node is left.
Inputs are the data preprocessor's output (normalised images); the mean /
std are in the config's ``data_preprocessor``.

Exporter: torch's TorchScript-based exporter (``dynamo=False``). With torch
2.14 it needs only ``onnx``; the default ``torch.export`` based exporter
(``dynamo=True``) also needs ``onnxscript``, which it does not ship, and is
available here as ``exporter='dynamo'`` when installed.
"""
import numpy as np
import torch
import torch.nn as nn

# Ops that only a training graph (drop path, dropout) would contain.
TRAINING_ONLY_OPS = frozenset({
    'Dropout', 'RandomUniform', 'RandomUniformLike', 'RandomNormal',
    'RandomNormalLike', 'Bernoulli', 'Multinomial'
})
EXPORTERS = ('torchscript', 'dynamo')


class OnnxParityError(RuntimeError):
    """The ONNX graph does not compute what the PyTorch model computes."""


class _ClassifierLogits(nn.Module):
    """``model(x, mode='tensor')``: backbone, neck, head; no aux head."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x, mode='tensor')


class _BackboneFeatures(nn.Module):
    """The backbone's multi-scale outputs as a tuple."""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, x):
        return tuple(self.backbone(x))


def wrap_for_export(model, backbone_only=False):
    """The module to export (in eval mode) and its output names.

    Classifiers give ``logits``; with ``backbone_only`` (and for any model
    that is not a classifier, e.g. an mmdet detector) the backbone's
    features ``feat0 .. featN`` (fine to coarse).
    """
    model.eval()
    backbone = getattr(model, 'backbone', model)
    if hasattr(backbone, 'drop_path_prob'):
        backbone.drop_path_prob = 0.  # eval ignores it; keep it explicit
    from mmpretrain.models.classifiers import BaseClassifier
    is_classifier = isinstance(model, BaseClassifier)
    if backbone_only or not is_classifier:
        if not hasattr(backbone, 'out_indices'):
            raise ValueError(
                f'{type(model).__name__} is not an image classifier and has '
                'no multi-scale backbone to export (a search supernet? '
                'export its genotype, train it, and export the trained '
                'checkpoint)')
        if not backbone_only:
            raise ValueError(
                f'{type(model).__name__} is not an image classifier; pass '
                'backbone_only=True (--backbone-only) to export its '
                'backbone\'s features')
        module = _BackboneFeatures(backbone).eval()
        n = len(backbone.out_indices)
        return module, [f'feat{i}' for i in range(n)]
    return _ClassifierLogits(model).eval(), ['logits']


def export_onnx(module, out, shape, output_names, batch=2,
                dynamic_batch=False, opset=17, exporter='torchscript',
                in_channels=3):
    """Export ``module`` for input ``(batch, in_channels, H, W)`` to
    ``out`` (``in_channels``: 1 for grey images, 3 for RGB).

    ``dynamic_batch`` makes axis 0 of the input and of every output the
    symbolic ``batch``. Raises when the graph holds a training-only op.
    """
    if exporter not in EXPORTERS:
        raise ValueError(f'exporter must be one of {EXPORTERS}, got '
                         f'{exporter!r}')
    H, W = shape
    x = torch.randn(batch, in_channels, H, W,
                    generator=torch.Generator().manual_seed(0))
    module.eval()
    names = list(output_names)
    if exporter == 'torchscript':
        axes = None
        if dynamic_batch:
            axes = {n: {0: 'batch'} for n in ['input'] + names}
        torch.onnx.export(
            module, (x, ), out, dynamo=False, opset_version=opset,
            input_names=['input'], output_names=names, dynamic_axes=axes,
            do_constant_folding=True)
    else:
        try:
            import onnxscript  # noqa: F401
        except ImportError as err:
            raise ImportError(
                "exporter='dynamo' needs onnxscript (pip install "
                "onnxscript); the default 'torchscript' exporter does not"
            ) from err
        dyn = None
        if dynamic_batch:
            dyn = {'x': {0: torch.export.Dim('batch', min=1)}}
        program = torch.onnx.export(
            module, (x, ), dynamo=True, opset_version=opset,
            input_names=['input'], output_names=names, dynamic_shapes=dyn)
        program.save(out)
    bad = sorted(graph_op_types(out) & TRAINING_ONLY_OPS)
    if bad:
        raise OnnxParityError(f'{out}: the exported graph holds training-'
                              f'only op(s) {bad}')
    return out


def graph_op_types(path):
    """Set of node op types in an ONNX file (subgraphs included)."""
    import onnx
    model = onnx.load(path)
    types = set()

    def walk(graph):
        for node in graph.node:
            types.add(node.op_type)
            for attr in node.attribute:
                if attr.g is not None and attr.g.node:
                    walk(attr.g)
                for g in attr.graphs:
                    walk(g)

    walk(model.graph)
    return types


def onnx_input_shape(path):
    """The input's dims: ints, or the symbolic names (e.g. ``'batch'``)."""
    import onnx
    dims = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
    return [d.dim_param if d.dim_param else d.dim_value for d in dims]


def check_parity(module, path, inputs, atol=1e-4, float64=False):
    """Run ``module`` and onnxruntime on each input; return a list of
    ``dict(batch, output, shape, max_abs_diff)`` or raise
    :class:`OnnxParityError` (with the rows as ``.rows``) when any
    difference exceeds ``atol`` or a shape differs.

    ``float64`` also runs a float64 copy of the module and adds
    ``torch_fp32_err`` / ``onnx_fp32_err``, each run's distance to it: the
    float32 rounding noise of the network, against which an ONNX difference
    can be judged (deep networks with small BatchNorm variances reach
    1e-4 in PyTorch alone). An output then also passes when ONNX is about
    as close to float64 as PyTorch's own float32 run
    (``onnx_fp32_err <= 2 * torch_fp32_err + atol``): a wrong graph is far
    from both.
    """
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, opts,
                                providers=['CPUExecutionProvider'])
    in_name = sess.get_inputs()[0].name
    names = [o.name for o in sess.get_outputs()]
    rows = []
    module.eval()
    module64 = None
    if float64:
        import copy
        module64 = copy.deepcopy(module).double().eval()
    for x in inputs:
        with torch.no_grad():
            want = module(x)
        want = [want] if isinstance(want, torch.Tensor) else list(want)
        got = sess.run(None, {in_name: x.numpy()})
        exact = [None] * len(want)
        if module64 is not None:
            with torch.no_grad():
                exact = module64(x.double())
            exact = [exact] if isinstance(exact, torch.Tensor) else \
                list(exact)
        if len(got) != len(want):
            raise OnnxParityError(f'{path}: {len(got)} ONNX outputs, '
                                  f'PyTorch gives {len(want)}')
        for name, g, w, e in zip(names, got, want, exact):
            w = w.numpy()
            if g.shape != w.shape:
                raise OnnxParityError(
                    f'{path}: output {name} has shape {g.shape} in ONNX, '
                    f'{w.shape} in PyTorch (batch {x.shape[0]})')
            diff = float(np.abs(g.astype(np.float64) - w).max())
            row = dict(batch=x.shape[0], output=name, shape=tuple(g.shape),
                       max_abs_diff=diff)
            row['scale'] = float(np.abs(w).max())
            row['ok'] = diff <= atol
            if e is not None:
                e = e.numpy()
                row['torch_fp32_err'] = float(np.abs(w - e).max())
                row['onnx_fp32_err'] = float(np.abs(g - e).max())
                row['within_fp32_noise'] = \
                    row['onnx_fp32_err'] <= 2 * row['torch_fp32_err'] + atol
                row['ok'] = row['ok'] or row['within_fp32_noise']
            rows.append(row)
    bad = [r for r in rows if not r['ok']]
    if bad:
        worst = max(bad, key=lambda r: r['max_abs_diff'])
        err = OnnxParityError(
            f'{path}: ONNX Runtime and PyTorch differ by '
            f'{worst["max_abs_diff"]:.3g} > {atol:g} on output '
            f'{worst["output"]} (batch {worst["batch"]})'
            + ('' if 'onnx_fp32_err' not in worst else
               f'; vs float64 ONNX is off by {worst["onnx_fp32_err"]:.3g}, '
               f'PyTorch float32 by {worst["torch_fp32_err"]:.3g}'))
        err.rows = rows
        raise err
    return rows
