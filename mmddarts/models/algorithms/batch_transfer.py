"""Host-side staging of a search batch before the data preprocessor.

mmengine's ``pseudo_collate`` delivers the images of a batch as a list of
tensors, which mmpretrain's ``ClsDataPreprocessor`` then converts and
normalises one image at a time (four kernels per image, plus a host read in
mmengine's ``stack_batch``), and it copies the labels with a blocking
host-to-device copy of an unpinned tensor: on CUDA a wait for every queued
kernel, twice per iteration. :func:`stage_batch` instead

- stacks equally shaped images on the host (the preprocessor's batched
  branch then does the same arithmetic: flip, float, ``(x - mean) / std``,
  once for the batch);
- on CUDA (``pin=True``), stacks them into pinned memory and copies images
  and labels to the device with ``non_blocking=True`` (one copy each; the
  labels are concatenated on the host first and split back into the
  samples as views), so the host never waits for the device here.

:func:`loader_pin_memory` is what the search loop sets on its loaders.
"""
import torch


def loader_pin_memory(loader_cfg, cuda_available=None):
    """A dataloader config with ``pin_memory=True`` when CUDA is available
    and the config does not say otherwise (on CPU torch would warn that
    pinning needs an accelerator). Non-dict loaders are returned as is."""
    if not isinstance(loader_cfg, dict) or 'pin_memory' in loader_cfg:
        return loader_cfg
    if cuda_available is None:
        cuda_available = torch.cuda.is_available()
    if not cuda_available:
        return loader_cfg
    return dict(loader_cfg, pin_memory=True)


def _stack(images, pin):
    first = images[0]
    if not all(isinstance(t, torch.Tensor) and t.shape == first.shape and
               t.dtype == first.dtype and t.device == first.device
               for t in images):
        return None  # different sizes: the preprocessor pads them
    if first.device.type != 'cpu':
        return torch.stack(images)
    out = torch.empty((len(images), ) + tuple(first.shape),
                      dtype=first.dtype, pin_memory=pin)
    return torch.stack(images, out=out)


def _labels_to_device(samples, device):
    """Move every sample's ``gt_label`` in one pinned non-blocking copy."""
    labels = [s.gt_label for s in samples]
    if not all(isinstance(lb, torch.Tensor) and lb.device.type == 'cpu'
               for lb in labels):
        return
    sizes = [lb.numel() for lb in labels]
    host = torch.cat([lb.reshape(-1) for lb in labels]).pin_memory()
    dev = host.to(device, non_blocking=True)
    for s, lb, part in zip(samples, labels, dev.split(sizes)):
        s.set_gt_label(part.reshape(lb.shape))


def stage_batch(data, device, pin=None):
    """``data`` (``dict(inputs=..., data_samples=...)`` from a loader) with
    the images stacked (when they share a shape) and, when ``pin`` (default:
    ``device`` is CUDA), images and labels already on ``device``, copied
    without blocking from pinned host memory. Returns a new dict; the
    samples' ``gt_label`` are replaced in place when moved."""
    if not isinstance(data, dict) or 'inputs' not in data:
        return data
    device = torch.device(device)
    if pin is None:
        pin = device.type == 'cuda'
    out = dict(data)
    inputs = data['inputs']
    if isinstance(inputs, (list, tuple)) and inputs:
        stacked = _stack(list(inputs), pin)
        if stacked is not None:
            inputs = stacked
    if pin and isinstance(inputs, torch.Tensor) and \
            inputs.device.type == 'cpu':
        if not inputs.is_pinned():
            inputs = inputs.pin_memory()
        inputs = inputs.to(device, non_blocking=True)
    out['inputs'] = inputs
    samples = data.get('data_samples')
    if pin and samples and all(hasattr(s, 'gt_label') for s in samples):
        _labels_to_device(samples, device)
    return out
