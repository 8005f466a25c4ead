"""Read a genotype from wherever configs and tools name one.

Free functions rather than :class:`~.genotype.Genotype` class methods: a file
may hold our JSON or a legacy DARTS / D-DARTS ``Genotype(...)`` text, and the
legacy parser builds a :class:`~.genotype.Genotype`, so the reader sits above
both modules (genotype <- legacy <- loading, no circle).
"""
import os
import os.path as osp

from .genotype import Genotype
from .legacy import parse_legacy_genotype


def load_genotype(path, **legacy_kwargs) -> Genotype:
    """Read a genotype file: our JSON, or a legacy DARTS / D-DARTS
    ``Genotype(...)`` text (parsed safely, never evaluated);
    ``legacy_kwargs`` (``num_cells``, ``steps``, ``dangling``) go to
    :func:`~mmddarts.structures.legacy.parse_legacy_genotype`."""
    path = os.fspath(path)  # str or os.PathLike (pathlib.Path)
    if not osp.isfile(path):
        # Configs name genotypes relative to the repository root; say
        # where a relative path was looked for.
        where = '' if osp.isabs(path) else \
            f' (relative to the current directory {os.getcwd()})'
        raise FileNotFoundError(f'genotype file not found: {path}{where}')
    with open(path) as f:
        text = f.read()
    stripped = text.lstrip()
    if stripped.startswith('{') or path.endswith('.json'):
        if legacy_kwargs:
            raise TypeError(f'{path}: {sorted(legacy_kwargs)} only apply '
                            'to legacy genotype texts, not JSON')
        return Genotype.from_json(text, source=path)
    return parse_legacy_genotype(text, source=path, **legacy_kwargs)


def genotype_from_any(obj) -> Genotype:
    """Accept a :class:`Genotype`, a dict (:meth:`Genotype.to_dict` layout)
    or a file path; the usual way configs pass genotypes to modules."""
    if isinstance(obj, Genotype):
        return obj
    if isinstance(obj, dict):
        return Genotype.from_dict(obj)
    if isinstance(obj, (str, os.PathLike)):
        return load_genotype(obj)
    raise TypeError('a genotype must be a Genotype, a dict or a path '
                    f'(str or os.PathLike), got {type(obj).__name__}')
