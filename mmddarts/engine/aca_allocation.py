"""ACA from a search run: the config's ``aca`` options, calibration batches
of the architecture split, and the allocated genotype (docs/aca.md). Used by
:class:`~mmddarts.engine.hooks.GenotypeExportHook` at the end of a search
and by ``tools/aca_allocate.py`` on any search checkpoint, so both give the
same genotype for the same weights."""
import copy
import itertools

import torch

ACA_DEFAULTS = dict(importance='output', allocator='otsu', calib_batches=10,
                    seed=0, parse_method=None)


def aca_options(cfg_aca, **overrides):
    """The ``aca`` config dict completed with :data:`ACA_DEFAULTS`;
    ``overrides`` that are not None win. Unknown keys are an error."""
    opts = dict(ACA_DEFAULTS)
    given = dict(cfg_aca or {})
    unknown = sorted(set(given) - set(ACA_DEFAULTS))
    if unknown:
        raise KeyError(f'aca: unknown key(s) {unknown}; known: '
                       f'{sorted(ACA_DEFAULTS)}')
    opts.update(given)
    opts.update({k: v for k, v in overrides.items() if v is not None})
    n = opts['calib_batches']
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f'aca.calib_batches must be a positive int, got '
                         f'{n!r}')
    return opts


def build_calibration_loader(cfg, seed):
    """A fresh loader of the config's ``arch_dataloader`` (the split that
    trains the alphas), seeded, without workers' persistence."""
    from mmengine.runner import Runner
    if cfg.get('arch_dataloader') is None:
        raise KeyError('aca: the config has no arch_dataloader (is it a '
                       'search config?)')
    loader_cfg = copy.deepcopy(cfg.arch_dataloader)
    loader_cfg = loader_cfg.to_dict() if hasattr(loader_cfg, 'to_dict') \
        else dict(loader_cfg)
    loader_cfg['persistent_workers'] = False
    return Runner.build_dataloader(loader_cfg, seed=seed)


def calibration_batches(model, loader, num):
    """``(inputs, targets)`` of the first ``num`` batches, preprocessed as
    at test time (no batch augmentation)."""
    device = next(model.parameters()).device
    for data in itertools.islice(loader, num):
        data = model.data_preprocessor(data, False)
        yield (data['inputs'].to(device),
               model._targets(data['data_samples'], device))


def aca_genotype(model, cfg, opts, loader=None):
    """The genotype of ``model`` (a ``DDartsSearch``) parsed with
    ``opts['parse_method']`` and allocated by ACA."""
    from mmddarts.models.search.aca import allocate, seeded_rngs
    method = opts['parse_method'] or tuple(model.parse_methods)[0]
    thr = model.threshold
    with torch.no_grad():
        geno = model.genotype(method=method, threshold=thr)
    geno = geno.replace(meta=dict(geno.meta, parse_method=method,
                                  threshold=thr))
    if loader is None:
        loader = build_calibration_loader(cfg, opts['seed'])
    # drawn up front under the seed: the same images (and augmentation
    # draws) whoever calls, the caller's RNG streams untouched
    with seeded_rngs(opts['seed']):
        batches = list(calibration_batches(model, loader,
                                           opts['calib_batches']))
    geno = allocate(model.architecture, geno, batches,
                    importance=opts['importance'],
                    allocator=opts['allocator'], seed=opts['seed'])
    aca = dict(geno.meta['aca'], calib_batches=opts['calib_batches'])
    return geno.replace(meta=dict(geno.meta, aca=aca))
