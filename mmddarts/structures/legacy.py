"""Safe importers for the legacy genotype texts of DARTS and D-DARTS.

The reference code stores genotypes as Python reprs of namedtuples and reads
them back with ``eval``. Here the text is parsed with :func:`ast.parse` and the
syntax tree is walked with a whitelist (literals, tuples, lists, ``range(...)``
calls, ``list + list`` and ``list * int``); nothing is ever executed, so a file
holding ``__import__('os').system(...)`` is rejected, not run.

Three constructors are understood (field order of the reference namedtuples):

* ``Genotype(normal, normal_concat, reduce, reduce_concat)`` - DARTS and
  FairDARTS: ``normal``/``reduce`` list ``(op, from)`` pairs, two per
  intermediate node in node order, so pair ``k`` feeds node ``2 + k // 2``.
  It describes one normal and one reduction cell stacked ``num_cells`` times.
* ``Genotype_nested(genes, concat, reductions)`` - D-DARTS: one gene of
  ``(op, to, from)`` triples per cell (``seq = range(len(genes))``).
* ``Genotype_opt(genes, seq, concat, reductions)`` - D-DARTS genotypes whose
  cells share genes (the handcrafted baselines).
"""
import ast
import os.path as osp

from .genotype import (Genotype, GenotypeError, default_reductions,
                       nested_edges)
from .op_sets import smallest_op_set

# Refuse to build absurdly large lists from ``[0] * n``: genotypes are small.
_MAX_LIST = 10000
# ... and absurdly large texts in total: ``[[edge] * n] * n`` keeps every list
# under _MAX_LIST yet expands to n^2 edges once the genes are copied and
# validated. Every number, string, list and tuple of the expanded text counts
# (an edge is 4); real genotypes hold a few hundred, this allows ~125k edges.
_MAX_ELEMENTS = 500_000

_FIELDS = {
    'Genotype': ('normal', 'normal_concat', 'reduce', 'reduce_concat'),
    'Genotype_nested': ('genes', 'concat', 'reductions'),
    'Genotype_opt': ('genes', 'seq', 'concat', 'reductions'),
}
_REQUIRED = {
    'Genotype': ('normal', 'reduce'),
    'Genotype_nested': ('genes', 'reductions'),
    'Genotype_opt': ('genes', 'seq', 'reductions'),
}


def _checked(size, node, source):
    if size > _MAX_ELEMENTS:
        raise GenotypeError(
            f'{source}: line {getattr(node, "lineno", "?")}: the genotype '
            f'expands to more than {_MAX_ELEMENTS} elements (numbers, '
            'strings, lists, tuples; e.g. lists multiplied inside lists), '
            'far beyond any real genotype; refusing to build it')
    return size


def _literal(node, source):
    """Value of a whitelisted expression node and its expanded size (every
    element counted as often as it would be copied); anything else is an
    error."""
    where = f'{source}: line {getattr(node, "lineno", "?")}'
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, str)) or node.value is None:
            return node.value, 1
        raise GenotypeError(f'{where}: unsupported constant {node.value!r}')
    if isinstance(node, (ast.List, ast.Tuple)):
        items, size = [], 1
        for elt in node.elts:
            value, n = _literal(elt, source)
            items.append(value)
            size = _checked(size + n, node, source)
        return (items if isinstance(node, ast.List) else tuple(items)), size
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value, _ = _literal(node.operand, source)
        if isinstance(value, int) and not isinstance(value, bool):
            return -value, 1
        raise GenotypeError(f'{where}: cannot negate {value!r}')
    if isinstance(node, ast.BinOp) and isinstance(node.op,
                                                  (ast.Add, ast.Mult)):
        left, n_left = _literal(node.left, source)
        right, n_right = _literal(node.right, source)
        if isinstance(node.op, ast.Add) and isinstance(left, list) \
                and isinstance(right, list):
            return left + right, _checked(n_left + n_right - 1, node, source)
        if isinstance(node.op, ast.Mult):
            (seq, n_seq), times = ((left, n_left), right) \
                if isinstance(left, list) else ((right, n_right), left)
            if isinstance(seq, list) and isinstance(times, int) \
                    and not isinstance(times, bool):
                if len(seq) * max(times, 0) > _MAX_LIST:
                    raise GenotypeError(f'{where}: list too long')
                # the items' size, repeated: aliased inner lists count again
                size = _checked(1 + (n_seq - 1) * max(times, 0), node,
                                source)
                return seq * times, size
        raise GenotypeError(
            f'{where}: only list + list and list * int are allowed, got '
            f'{ast.unparse(node)!r}')
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name != 'range':
            raise GenotypeError(
                f'{where}: call {ast.unparse(node.func)!r} is not allowed '
                '(only range(...) may appear in a genotype; the text is '
                'parsed, never executed)')
        if node.keywords or not 1 <= len(node.args) <= 3:
            raise GenotypeError(f'{where}: range() takes 1 to 3 positional '
                                'integers')
        args = [_literal(a, source)[0] for a in node.args]
        if not all(isinstance(a, int) and not isinstance(a, bool)
                   for a in args):
            raise GenotypeError(f'{where}: range() arguments must be '
                                f'integers, got {args}')
        values = range(*args)
        if len(values) > _MAX_LIST:
            raise GenotypeError(f'{where}: range too long')
        return list(values), 1 + len(values)
    raise GenotypeError(
        f'{where}: {ast.unparse(node)!r} is not a literal (allowed: numbers, '
        'strings, lists, tuples, range(...), list + list, list * int)')


def _parse_call(text, source):
    """Split ``Name(args...)`` into the constructor name and its fields."""
    try:
        tree = ast.parse(text.strip(), filename=source, mode='eval')
    except SyntaxError as err:
        raise GenotypeError(
            f'{source}: not a valid genotype expression (line {err.lineno}, '
            f'column {err.offset}: {err.msg})') from None
    except (RecursionError, MemoryError):
        raise GenotypeError(f'{source}: expression nested too deeply to '
                            'read') from None
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise GenotypeError(
            f'{source}: expected a call like Genotype(...), '
            f'Genotype_nested(...) or Genotype_opt(...), got '
            f'{ast.unparse(call)[:60]!r}')
    name = call.func.id
    if name not in _FIELDS:
        raise GenotypeError(
            f'{source}: unknown constructor {name!r} (known: '
            f'{", ".join(_FIELDS)})')
    names = _FIELDS[name]
    if len(call.args) > len(names):
        raise GenotypeError(f'{source}: {name} takes at most {len(names)} '
                            f'fields ({", ".join(names)})')
    fields, size = {}, 0

    def field(arg):
        nonlocal size
        value, n = _literal(arg, source)
        size = _checked(size + n, arg, source)
        return value

    for key, arg in zip(names, call.args):
        fields[key] = field(arg)
    for kw in call.keywords:
        if kw.arg is None:
            raise GenotypeError(f'{source}: **kwargs not allowed in {name}')
        if kw.arg not in names:
            raise GenotypeError(f'{source}: unknown field {kw.arg!r} for '
                                f'{name} (fields: {", ".join(names)})')
        if kw.arg in fields:
            raise GenotypeError(f'{source}: field {kw.arg!r} given twice')
        fields[kw.arg] = field(kw.value)
    missing = [k for k in _REQUIRED[name] if k not in fields]
    if missing:
        raise GenotypeError(f'{source}: {name} misses field(s) {missing}')
    return name, fields


def _int_list(value, what, source):
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise GenotypeError(f'{source}: {what} must be a list of integers, '
                            f'got {value!r}')
    return list(value)


def _darts_gene(pairs, what, source):
    """DARTS ``[(op, from), ...]`` -> ``[(op, to, from), ...]``."""
    if not isinstance(pairs, (list, tuple)):
        raise GenotypeError(f'{source}: {what} must be a list of (op, from) '
                            f'pairs, got {type(pairs).__name__}')
    gene = []
    for k, pair in enumerate(pairs):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2
                and isinstance(pair[0], str) and isinstance(pair[1], int)
                and not isinstance(pair[1], bool)):
            raise GenotypeError(f'{source}: {what}[{k}] must be an '
                                f'(op, from) pair, got {pair!r}')
        gene.append((pair[0], 2 + k // 2, pair[1]))
    return gene


def _nested_genes(genes, source):
    return nested_edges(genes, where=f'{source}: ')


def _steps_for(genes, concats, steps):
    if steps is not None:
        return steps
    last = [e[1] for gene in genes for e in gene
            if isinstance(e[1], int)] + [c for cat in concats for c in cat]
    return max([4] + [n - 1 for n in last])


def _op_set_for(genes, source):
    ops = {e[0] for gene in genes for e in gene}
    try:
        return smallest_op_set(ops - {'none'})
    except ValueError as err:
        raise GenotypeError(f'{source}: {err}') from None


def prune_dangling(genes):
    """Drop edges that read an intermediate node without any input.

    Repeated until stable, since dropping an edge can starve another node.
    Returns the pruned genes and the dropped edges as ``[gene, op, to, from]``.
    """
    out, dropped = [], []
    for g, gene in enumerate(genes):
        gene = list(gene)
        while True:
            fed = {e[1] for e in gene}
            bad = [e for e in gene if e[2] >= 2 and e[2] not in fed]
            if not bad:
                break
            dropped += [[g, *e] for e in bad]
            gene = [e for e in gene if e not in bad]
        out.append(gene)
    return out, dropped


def parse_legacy_genotype(text, source='<legacy genotype>', num_cells=8,
                          steps=None, meta=None, dangling='error'):
    """Parse a legacy DARTS / D-DARTS genotype text into a :class:`Genotype`.

    Args:
        text: ``Genotype(...)``, ``Genotype_nested(...)`` or
            ``Genotype_opt(...)`` as written by the reference code.
        source: name used in error messages (usually the file path).
        num_cells: cells of the network a DARTS ``Genotype`` is stacked into
            (reductions at ``N//3`` and ``2N//3``); ignored by D-DARTS texts,
            whose genes give the cell count.
        steps: intermediate nodes per cell; by default the largest target
            node - 1 (at least 4, DARTS' value).
        meta: extra metadata merged into the result's ``meta``.
        dangling: what to do with an edge reading an intermediate node that
            has no input (one released D-DARTS file has such an edge):
            ``'error'`` (default) or ``'prune'`` (drop it, recursively, and
            list the dropped edges in ``meta['pruned_dangling_edges']``).

    Returns:
        Genotype: validated; ``meta['legacy_format']`` names the constructor,
        and a legacy ``concat`` is kept as ``meta['legacy_concat']`` (our
        cells concatenate every node that has an incoming edge instead).
        For a DARTS text whose ``normal_concat`` / ``reduce_concat`` differ
        from the fed nodes, ``meta['legacy_concat']`` is that list when both
        agree, else ``{'normal': [...], 'reduce': [...]}``; read it with
        :meth:`Genotype.legacy_concat`.
    """
    name, fields = _parse_call(text, source)
    info = {'legacy_format': name}
    if name == 'Genotype':
        normal = _darts_gene(fields['normal'], 'normal', source)
        reduce = _darts_gene(fields['reduce'], 'reduce', source)
        genes = [normal, reduce]
        try:
            reductions = list(default_reductions(num_cells))
        except ValueError as err:
            raise GenotypeError(f'{source}: {err}') from None
        seq = [1 if c in reductions else 0 for c in range(num_cells)]
        concats, by_kind = [], {}
        for key, gene in (('normal_concat', normal),
                          ('reduce_concat', reduce)):
            fed = sorted({e[1] for e in gene})
            if fields.get(key) is None:
                by_kind[key[:-7]] = fed  # no concat: the fed nodes
                continue
            concat = _int_list(fields[key], key, source)
            concats.append(concat)
            by_kind[key[:-7]] = concat
            if sorted(concat) != fed:
                info[key] = concat
        if 'normal_concat' in info or 'reduce_concat' in info:
            # What concat_rule='legacy' reads (Genotype.legacy_concat): one
            # list when both cell kinds agree, else one list per kind.
            info['legacy_concat'] = by_kind['normal'] \
                if by_kind['normal'] == by_kind['reduce'] else by_kind
    else:
        genes = _nested_genes(fields['genes'], source)
        if name == 'Genotype_opt':
            seq = _int_list(fields['seq'], 'seq', source)
        else:
            seq = list(range(len(genes)))
        reductions = _int_list(fields['reductions'], 'reductions', source)
        concats = []
        if fields.get('concat') is not None:
            concat = _int_list(fields['concat'], 'concat', source)
            concats.append(concat)
            info['legacy_concat'] = concat
    if dangling == 'prune':
        genes, dropped = prune_dangling(genes)
        empty = [g for g, gene in enumerate(genes) if not gene]
        if empty:
            raise GenotypeError(
                f'{source}: gene {empty[0]}: no edge is connected to the cell '
                'inputs (every edge reads an intermediate node without '
                'input), so the cell has no output; fix the gene by hand')
        if dropped:
            info['pruned_dangling_edges'] = dropped
    elif dangling != 'error':
        raise ValueError(f"dangling must be 'error' or 'prune', got "
                         f'{dangling!r}')
    info.update(meta or {})
    try:
        return Genotype(
            genes=genes, seq=seq, reductions=reductions,
            steps=_steps_for(genes, concats, steps),
            op_set=_op_set_for(genes, source), meta=info)
    except GenotypeError as err:
        hint = (" (parse_legacy_genotype(..., dangling='prune') drops such "
                'edges)') if 'has no incoming edge' in str(err) else ''
        raise GenotypeError(f'{source}: {err}{hint}') from None


def read_genotype_table(path):
    """Read a ``name<TAB>Genotype(...)`` file (one genotype per line, as in
    DARTS' ``genotypes.py`` dumped to TSV) into ``{name: legacy text}``.

    Blank lines and lines starting with ``#`` are skipped. The texts are not
    parsed here: pass them to :func:`parse_legacy_genotype` with the number
    of cells you want.
    """
    table = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            name, sep, text = line.rstrip('\n').partition('\t')
            where = f'{path}:{lineno}'
            if not sep or not name.strip() or not text.strip():
                raise GenotypeError(f'{where}: expected name<TAB>genotype')
            name = name.strip()
            if name in table:
                raise GenotypeError(f'{where}: duplicated name {name!r}')
            table[name] = text
    return table


def load_genotype_table(path, num_cells=8):
    """:func:`read_genotype_table` + :func:`parse_legacy_genotype` on every
    entry; ``meta`` records the file and the entry name."""
    base = osp.basename(path)
    return {
        name: parse_legacy_genotype(
            text, source=f'{path} [{name}]', num_cells=num_cells,
            meta={'source_file': base, 'source_name': name})
        for name, text in read_genotype_table(path).items()
    }
