"""The ordered list of fixes for a search that does not fit in memory.

Shared by the preflight refusal and the out-of-memory report, so both give
the same advice: AMP on a GPU, the ablation chunk option where the model has
one, the largest batch that fits with ``auto_scale_lr``, fewer cells or
channels, and last the cheaper ablation mode (which changes the method).
"""
from typing import List, Optional

from mmddarts.utils.search_cfg import get_objective, objective_key, width_key

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
    abl = arch.get('ablation_cfg') or {}
    keys += [f'model.architecture.ablation_cfg.{k}' for k in abl
             if 'chunk' in str(k)]
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
        fixes.append(f'batch {fitting_batch} fits{peak}: --auto-batch, or '
                     + batch_options(cfg, fitting_batch, batch))
    else:
        fixes.append('a smaller batch does not help: even one image per '
                     'batch does not fit')
    width = width_key(arch)
    cells, channels = arch.get('num_cells'), arch.get(width)
    if cells is not None or channels is not None:
        now = ', '.join(f'{k}={v}'
                        for k, v in (('num_cells', cells), (width, channels))
                        if v is not None)
        fixes.append('a smaller supernet: --cfg-options '
                     'model.architecture.num_cells=... or '
                     f'model.architecture.{width}=... (now {now}); memory '
                     'grows about linearly with both')
    if get_objective(model, 'ablation', 'exact') == 'exact':
        fixes.append(f"{objective_key(model, 'ablation')}='reference' needs "
                     'about half the memory, but its ablation loss is only '
                     'logged (it no longer moves the alphas): a different '
                     'method')
    return fixes


def batch_loader_keys(cfg) -> List[str]:
    """Config keys of the search loaders' batch sizes (what --auto-batch
    sets): ``train_dataloader`` and the arch loader, top-level or under
    ``train_cfg``."""
    keys = ['train_dataloader.batch_size']
    if cfg.get('arch_dataloader', None) is not None:
        keys.append('arch_dataloader.batch_size')
    elif isinstance((cfg.get('train_cfg', None) or {}).get(
            'arch_dataloader', None), dict):
        keys.append('train_cfg.arch_dataloader.batch_size')
    return keys


def batch_options(cfg, new_batch: int, old_batch: Optional[int]) -> str:
    """The command-line options that run ``cfg`` at ``new_batch`` with the
    learning rates scaled as --auto-batch scales them (from the config's
    ``auto_scale_lr.base_batch_size``, else from the configured batch)."""
    opts = [f'{k}={new_batch}' for k in batch_loader_keys(cfg)]
    scale = cfg.get('auto_scale_lr', None) or {}
    if scale.get('base_batch_size', None) is None and old_batch:
        opts.append(f'auto_scale_lr.base_batch_size={old_batch}')
    return (f'--cfg-options {" ".join(opts)} --auto-scale-lr (learning '
            'rates scaled by the new total batch / auto_scale_lr.'
            'base_batch_size)')


def format_fixes(fixes: List[str]) -> str:
    return '\n'.join(f'  {k}. {f}' for k, f in enumerate(fixes, 1))


def _get(cfg, dotted):
    node = cfg
    for part in dotted.split('.'):
        node = node.get(part) if hasattr(node, 'get') else None
    return node
