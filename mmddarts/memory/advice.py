"""The ordered list of fixes for a search that does not fit in memory.

Shared by the preflight refusal and the out-of-memory report, so both give
the same advice: AMP on a GPU, the ablation chunk option where the model has
one, the largest batch that fits with ``auto_scale_lr``, fewer cells or
channels, and last the cheaper ablation mode (which changes the method).
"""
from typing import List, Optional

from .budget import fmt_bytes


def _model_cfg(cfg):
    model = cfg.get('model', {}) or {}
    arch = model.get('architecture', {}) or {}
    return model, (arch if isinstance(arch, dict) else {})


def chunk_keys(cfg) -> List[str]:
    """Config keys of an ablation chunk option, if the model has one."""
    model, arch = _model_cfg(cfg)
    keys = [f'model.{k}' for k in model if 'chunk' in str(k)]
    keys += [f'model.architecture.{k}' for k in arch if 'chunk' in str(k)]
    return keys


def memory_fixes(cfg, device: str = 'cpu', amp: bool = False,
                 batch: Optional[int] = None,
                 fitting_batch: Optional[int] = None,
                 fitting_peak: Optional[float] = None) -> List[str]:
    """Numbered-ready fixes, most effective and least intrusive first."""
    model, arch = _model_cfg(cfg)
    fixes = []
    if str(device).startswith('cuda') and not amp:
        fixes.append('mixed precision: add --amp (fp16 activations need '
                     'about half the memory)')
    for key in chunk_keys(cfg):
        fixes.append(f'run the ablated passes in smaller chunks: lower '
                     f'{key} (now {_get(cfg, key)})')
    if fitting_batch is None:
        fixes.append('a smaller batch, learning rates scaled to it: '
                     '--auto-batch picks the largest batch that fits (and '
                     'scales the learning rates with auto_scale_lr)')
    elif fitting_batch >= 1:
        peak = f' (estimated peak {fmt_bytes(fitting_peak)})' \
            if fitting_peak is not None else ''
        fixes.append(
            f'batch {fitting_batch} fits{peak}: --auto-batch, or '
            f'--cfg-options train_dataloader.batch_size={fitting_batch} '
            f'arch_dataloader.batch_size={fitting_batch} --auto-scale-lr '
            f'(learning rates scaled from auto_scale_lr.base_batch_size)')
    else:
        fixes.append('a smaller batch does not help: even one image per '
                     'batch does not fit')
    cells, channels = arch.get('num_cells'), arch.get('C')
    if cells is not None or channels is not None:
        now = ', '.join(f'{k}={v}' for k, v in (('num_cells', cells),
                                                ('C', channels))
                        if v is not None)
        fixes.append('a smaller supernet: --cfg-options '
                     'model.architecture.num_cells=... or '
                     f'model.architecture.C=... (now {now}); memory grows '
                     'about linearly with both')
    if model.get('ablation') == 'exact':
        fixes.append("model.ablation='reference' needs about half the "
                     'memory, but its ablation loss is only logged (it no '
                     'longer moves the alphas): a different method')
    return fixes


def format_fixes(fixes: List[str]) -> str:
    return '\n'.join(f'  {k}. {f}' for k, f in enumerate(fixes, 1))


def _get(cfg, dotted):
    node = cfg
    for part in dotted.split('.'):
        node = node.get(part) if hasattr(node, 'get') else None
    return node
