"""Build a config's derived networks from the genotype a checkpoint records.

Every :class:`mmddarts.models.DDartsNet` checkpoint carries its whole
genotype, stem, cell count and channels (``mmddarts.models.backbones.
net_arch``). :func:`resolve_checkpoint_genotypes` rewrites the derived-network
nodes of ``cfg.model`` so that the model is built as the checkpoint's:

* nodes whose ``genotype`` is ``'from_checkpoint'`` always;
* with ``every=True`` (``tools/test.py``'s default ``--genotype checkpoint``)
  every derived-network node, whatever genotype the config names.

A node that is not rebuilt keeps the config's network, and loading then
refuses a checkpoint of another network, naming the first differing cell or
edge.
"""
import logging

from mmengine.logging import print_log

from mmddarts.utils.checkpoint import load_from_local_allowlisted
from .net_arch import (FROM_CHECKPOINT, arch_build_kwargs, arch_summary,
                       read_net_arch)

NET_TYPES = ('DDartsNet', 'DDartsDetBackbone')


def derived_net_nodes(model_cfg, path='model'):
    """``(path, node)`` of every derived-network config under ``model_cfg``
    (a ``type`` ending in ``DDartsNet``/``DDartsDetBackbone``)."""
    if isinstance(model_cfg, dict):
        t = model_cfg.get('type')
        if isinstance(t, str) and t.split('.')[-1] in NET_TYPES:
            yield path, model_cfg
        for k, v in model_cfg.items():
            yield from derived_net_nodes(v, f'{path}.{k}')
    elif isinstance(model_cfg, (list, tuple)):
        for i, v in enumerate(model_cfg):
            yield from derived_net_nodes(v, f'{path}.{i}')


def _has_pretrained(node):
    init = node.get('init_cfg')
    return isinstance(init, dict) and init.get('type') == 'Pretrained'


def _prefix(path):
    """State-dict prefix of a node at ``model.a.b`` -> ``'a.b.'``."""
    rest = path.split('.', 1)[1] if '.' in path else ''
    return rest + '.' if rest else ''


def _label(genotype):
    return genotype if isinstance(genotype, str) else 'genotype'


def _difference_from_config(node, arch):
    """First difference (:func:`arch_difference`) between the network the
    config node builds and the checkpoint's record ``arch``; ``None`` when
    they are the same network. A config that cannot be read is reported as
    such (it is replaced by the checkpoint's network anyway)."""
    import inspect

    from mmddarts.models.backbones.ddarts_net import resolve_genotype
    from mmddarts.models.backbones.net_arch import arch_difference
    from mmddarts.registry import MODELS
    try:
        cls = MODELS.get(node['type'])
        defaults = {k: p.default for k, p in
                    inspect.signature(cls).parameters.items()}
        arg = dict(defaults, **node)
        genotype = resolve_genotype(arg['genotype'], arg.get('num_cells'),
                                    arg.get('reductions'))
        stem = arg.get('stem')
        mine = dict(
            genotype=genotype.to_dict(), num_cells=genotype.num_cells,
            channels=arg.get('channels'), stem=stem,
            stem_multiplier=arg.get('stem_multiplier')
            if stem == 'cifar' else None,
            in_channels=arg.get('in_channels'),
            concat_rule=arg.get('concat_rule'))
        return arch_difference(mine, arch)
    except Exception as err:  # noqa: B902 (any unreadable config value)
        return f'the config\'s network could not be read: {err}'


def resolve_checkpoint_genotypes(cfg, checkpoint, every=False,
                                 where='tools'):
    """Rebuild derived networks of ``cfg.model`` from ``checkpoint``.

    Args:
        cfg: an mmengine Config (changed in place).
        checkpoint: path of the checkpoint (local file) or a loaded dict.
        every: rebuild every derived network, not only the
            ``'from_checkpoint'`` ones (nodes the checkpoint has no record
            for then keep the config's genotype, with a warning).
        where: name used in messages.

    Returns:
        list[str]: config paths of the rebuilt nodes.

    Raises:
        ValueError: a ``'from_checkpoint'`` node with no checkpoint or no
            record in it.
    """
    model = cfg.get('model')
    nodes = list(derived_net_nodes(model))
    wanted = [(p, n) for p, n in nodes
              if every or n.get('genotype') == FROM_CHECKPOINT]
    if not wanted:
        return []
    name = checkpoint if isinstance(checkpoint, str) else 'the checkpoint'
    if checkpoint is None:
        # a backbone's own Pretrained init_cfg is read by the backbone
        wanted = [(p, n) for p, n in wanted if not _has_pretrained(n)]
        if not wanted:
            return []
        raise ValueError(
            f"{where}: {wanted[0][0]}.genotype='{FROM_CHECKPOINT}' needs a "
            'checkpoint (tools/test.py CHECKPOINT, load_from=, or the '
            "backbone's init_cfg=dict(type='Pretrained', checkpoint=...))")
    if isinstance(checkpoint, str):
        if '://' in checkpoint:
            print_log(f'{where}: cannot read the genotype of remote '
                      f'checkpoint {checkpoint}; using the config',
                      logger='current', level=logging.WARNING)
            return []
        checkpoint = load_from_local_allowlisted(checkpoint, 'cpu')
    rebuilt = []
    for path, node in wanted:
        arch = read_net_arch(checkpoint, prefix=_prefix(path), where=name)
        if arch is None:
            if node.get('genotype') == FROM_CHECKPOINT:
                raise ValueError(
                    f'{where}: {name} records no genotype for {path} '
                    "(written before mmddarts recorded it, or not this "
                    f"model's checkpoint); set {path}.genotype to the "
                    "genotype it was trained with instead of "
                    f"'{FROM_CHECKPOINT}'")
            from mmddarts.models.strict_load import state_dict_of, state_kind
            why = ('a SEARCH checkpoint, not a trained network' if
                   state_kind(state_dict_of(checkpoint)) == 'search' else
                   'written before mmddarts recorded genotypes, or not a '
                   'derived network')
            print_log(
                f'{where}: {name} records no genotype for {path} ({why}): '
                "building the config's genotype; a checkpoint that does "
                'not fit it is refused at load time', logger='current',
                level=logging.WARNING)
            continue
        before = node.get('genotype')
        differs = None if before == FROM_CHECKPOINT else \
            _difference_from_config(node, arch)
        node.update(arch_build_kwargs(arch))
        if before == FROM_CHECKPOINT or differs:
            # the checkpoint's network, and how it differs from the
            # config's; nothing when it is the config's own
            print_log(
                f'{where}: {path} built from the genotype recorded in {name}'
                f': {arch_summary(arch)}' + ('' if not differs else
                                             f', not the config\'s '
                                             f'{_label(before)} ({differs})'),
                logger='current')
        rebuilt.append(path)
    return rebuilt
