"""The typed, JSON-serialisable genotype of a (D-)DARTS network.

A genotype holds a list of *genes* (one cell architecture each) and ``seq``,
the gene used by each cell position, so both D-DARTS (``seq = range(N)``:
every cell its own gene) and shared-gene networks (ResNet18:
``seq = [0, 0, 0, 0]``) fit.

Node numbering inside a cell: 0 and 1 are the cell inputs (outputs of the cells
``k-2`` and ``k-1``), ``2 .. steps+1`` are the intermediate nodes. An edge is
``(op, to, from)``: ``op`` applied to node ``from``, summed into node ``to``.
The cell output is the concatenation of the intermediate nodes that receive at
least one edge (:meth:`Genotype.concat`).
"""
import json
from dataclasses import dataclass, field
from typing import Any, Dict, NamedTuple, Tuple

from mmddarts.utils.file_io import atomic_write_text
from .op_sets import NONE_OP, OP_SETS

FORMAT_NAME = 'mmddarts.genotype'
FORMAT_VERSION = 1


class GenotypeError(ValueError):
    """A genotype that cannot be used; the message names where and why."""


def _node_list(value, where):
    """``value`` as a non-empty list of node indices, or a clear error."""
    if not isinstance(value, (list, tuple)) or not value or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in value):
        raise GenotypeError(f'{where}: expected a non-empty list of node '
                            f'indices, got {value!r}')
    return list(value)


class Edge(NamedTuple):
    """One operation of a cell: ``op`` from node ``src`` into node ``to``."""
    op: str
    to: int
    src: int


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Genotype:
    """Architecture of a derived network.

    Args:
        genes: one sequence of :class:`Edge` (or ``(op, to, from)`` triples)
            per distinct cell architecture.
        seq: the gene index of each cell position; ``len(seq)`` is the number
            of cells.
        reductions: cell positions that halve the resolution and double the
            channels.
        steps: number of intermediate nodes per cell.
        op_set: ``'darts'`` (7 ops) or ``'extended'`` (DARTOpti's 12 ops).
        meta: free JSON-serialisable metadata (data set, parse method, ...).
    """
    genes: Tuple[Tuple[Edge, ...], ...]
    seq: Tuple[int, ...]
    reductions: Tuple[int, ...]
    steps: int = 4
    op_set: str = 'darts'
    meta: Dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        # Normalise containers (lists from JSON or user code) before checking.
        norm_genes = [tuple(Edge(*edge) for edge in gene)
                      for gene in nested_edges(self.genes)]
        for name in ('seq', 'reductions'):
            value = getattr(self, name)
            if not isinstance(value, (list, tuple, range)):
                raise GenotypeError(f'{name} must be a list of integers, got '
                                    f'{type(value).__name__}')
            object.__setattr__(self, name, tuple(value))
        object.__setattr__(self, 'genes', tuple(norm_genes))
        if self.meta is None:
            object.__setattr__(self, 'meta', {})
        self.validate()

    # ------------------------------------------------------------------ checks
    def validate(self):
        """Raise :class:`GenotypeError` naming the first problem found."""
        if self.op_set not in OP_SETS:
            raise GenotypeError(f'unknown op_set {self.op_set!r}; expected '
                                f'one of {sorted(OP_SETS)}')
        if not _is_int(self.steps) or self.steps < 1:
            raise GenotypeError(
                f'steps must be a positive integer, got {self.steps!r}')
        if not self.genes:
            raise GenotypeError('genes is empty: a genotype needs at least '
                                'one gene')
        ops = OP_SETS[self.op_set]
        last_node = self.steps + 1
        for g, gene in enumerate(self.genes):
            where = f'gene {g}'
            if not gene:
                raise GenotypeError(f'{where}: has no edge')
            seen = set()
            for e, (op, to, src) in enumerate(gene):
                at = f'{where}, edge {e} {(op, to, src)!r}'
                if not isinstance(op, str):
                    raise GenotypeError(f'{at}: op must be a string')
                if op == NONE_OP:
                    raise GenotypeError(
                        f"{at}: 'none' is a search-only op and cannot be part "
                        'of a derived genotype; drop the edge instead')
                if op not in ops:
                    raise GenotypeError(
                        f'{at}: unknown op {op!r} for op_set '
                        f'{self.op_set!r} (known: {", ".join(ops)})')
                if not _is_int(to) or not _is_int(src):
                    raise GenotypeError(f'{at}: to and from must be integers')
                if not 2 <= to <= last_node:
                    raise GenotypeError(
                        f'{at}: target node {to} out of range: intermediate '
                        f'nodes are 2..{last_node} for steps={self.steps}')
                if src == to:
                    raise GenotypeError(f'{at}: edge from node {to} to itself')
                if not 0 <= src < to:
                    raise GenotypeError(
                        f'{at}: source node {src} out of range: node {to} '
                        f'can only take nodes 0..{to - 1}')
                if (op, to, src) in seen:
                    raise GenotypeError(f'{at}: duplicated edge')
                seen.add((op, to, src))
            fed = {to for _, to, _ in gene}
            for op, to, src in gene:
                if src >= 2 and src not in fed:
                    raise GenotypeError(
                        f'{where}: edge {(op, to, src)!r} reads node {src}, '
                        'which has no incoming edge')
        if not self.seq:
            raise GenotypeError('seq is empty: a genotype needs at least one '
                                'cell')
        for i, g in enumerate(self.seq):
            if not _is_int(g) or not 0 <= g < len(self.genes):
                raise GenotypeError(
                    f'seq[{i}] (cell {i}) = {g!r}: not a gene index in '
                    f'0..{len(self.genes) - 1}')
        red = self.reductions
        for r in red:
            if not _is_int(r) or not 0 <= r < len(self.seq):
                raise GenotypeError(
                    f'reduction cell {r!r} out of range: cells are '
                    f'0..{len(self.seq) - 1}')
        if list(red) != sorted(set(red)):
            raise GenotypeError(
                f'reductions must be strictly increasing, got {list(red)}')
        try:
            json.dumps(self.meta)
        except (TypeError, ValueError) as err:
            raise GenotypeError(f'meta is not JSON-serialisable: {err}') \
                from None

    # ------------------------------------------------------------- accessors
    @property
    def num_cells(self):
        return len(self.seq)

    @property
    def op_names(self):
        return OP_SETS[self.op_set]

    def gene(self, cell):
        """Edges of the cell at position ``cell``."""
        return self.genes[self.seq[cell]]

    def is_reduction(self, cell):
        return cell in self.reductions

    def concat(self, cell):
        """Intermediate nodes of ``cell`` that are concatenated as its
        output: those with at least one incoming edge, in node order."""
        return gene_concat(self.gene(cell))

    def legacy_concat(self, cell):
        """Nodes the legacy reference code concatenates in ``cell``
        (``meta['legacy_concat']``: one list for every cell, or
        ``{'normal': [...], 'reduce': [...]}`` from a DARTS text whose two
        concats differ), or None when the genotype records none."""
        value = self.meta.get('legacy_concat')
        if value is None:
            return None
        where = f"genotype meta['legacy_concat'] (cell {cell})"
        if not isinstance(value, dict):
            return _node_list(value, where)
        if set(value) != {'normal', 'reduce'}:
            raise GenotypeError(
                f"{where}: a dict must have exactly the keys 'normal' and "
                f"'reduce', got {sorted(value)}")
        # check both kinds, so a bad entry shows on the first cell built
        lists = {k: _node_list(v, f"{where}['{k}']") for k, v in value.items()}
        return lists['reduce' if self.is_reduction(cell) else 'normal']

    def num_edges(self):
        """Edges a search cell with ``steps`` nodes has (14 for 4 steps)."""
        return sum(2 + i for i in range(self.steps))

    # -------------------------------------------------------------------- io
    def to_dict(self):
        return {
            'format': FORMAT_NAME,
            'version': FORMAT_VERSION,
            'op_set': self.op_set,
            'steps': self.steps,
            'genes': [[list(edge) for edge in gene] for gene in self.genes],
            'seq': list(self.seq),
            'reductions': list(self.reductions),
            'meta': dict(self.meta),
        }

    def to_json(self, indent=None):
        """JSON text; with ``indent``, one edge per line (readable diffs)."""
        data = self.to_dict()
        if indent is None:
            return json.dumps(data)
        pad = ' ' * indent
        genes = ',\n'.join(
            f'{pad * 2}[\n' + ',\n'.join(
                f'{pad * 3}{json.dumps(edge)}' for edge in gene) +
            f'\n{pad * 2}]' for gene in data['genes'])
        lines = []
        for key, value in data.items():
            if key == 'genes':
                text = f'[\n{genes}\n{pad}]'
            elif key == 'meta':
                items = [f'{pad * 2}{json.dumps(k)}: {json.dumps(v)}'
                         for k, v in value.items()]
                text = '{\n' + ',\n'.join(items) + f'\n{pad}}}' \
                    if items else '{}'
            else:
                text = json.dumps(value)
            lines.append(f'{pad}{json.dumps(key)}: {text}')
        return '{\n' + ',\n'.join(lines) + '\n}'

    @classmethod
    def from_dict(cls, data, source='genotype'):
        """Build from :meth:`to_dict`'s output; errors name ``source``."""
        try:
            if not isinstance(data, dict):
                raise GenotypeError(
                    f'expected a JSON object, got {type(data).__name__}')
            fmt = data.get('format', FORMAT_NAME)
            if fmt != FORMAT_NAME:
                raise GenotypeError(
                    f'format {fmt!r} is not {FORMAT_NAME!r}')
            version = data.get('version', FORMAT_VERSION)
            if version != FORMAT_VERSION:
                raise GenotypeError(
                    f'format version {version!r} is not supported (this '
                    f'mmddarts reads version {FORMAT_VERSION})')
            missing = [k for k in ('genes', 'seq', 'reductions')
                       if k not in data]
            if missing:
                raise GenotypeError(f'missing key(s) {missing}')
            known = {'format', 'version', 'op_set', 'steps', 'genes', 'seq',
                     'reductions', 'meta'}
            unknown = sorted(set(data) - known)
            if unknown:
                raise GenotypeError(f'unknown key(s) {unknown}; known keys: '
                                    f'{sorted(known)}')
            meta = data.get('meta', {})
            if not isinstance(meta, dict):
                raise GenotypeError('meta must be a JSON object')
            return cls(
                genes=data['genes'],
                seq=data['seq'],
                reductions=data['reductions'],
                steps=data.get('steps', 4),
                op_set=data.get('op_set', 'darts'),
                meta=meta)
        except GenotypeError as err:
            raise GenotypeError(f'{source}: {err}') from None

    @classmethod
    def from_json(cls, text, source='genotype'):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise GenotypeError(
                f'{source}: invalid JSON at line {err.lineno}, column '
                f'{err.colno}: {err.msg}') from None
        return cls.from_dict(data, source=source)

    def save(self, path):
        """Write as JSON (atomically: a crash never leaves half a file)."""
        atomic_write_text(path, self.to_json(indent=2) + '\n')

    def replace(self, **changes):
        """A copy with some fields changed (validated again)."""
        fields = dict(genes=self.genes, seq=self.seq,
                      reductions=self.reductions, steps=self.steps,
                      op_set=self.op_set, meta=dict(self.meta))
        fields.update(changes)
        return Genotype(**fields)


def nested_edges(genes, where=''):
    """``genes`` as lists of ``(op, to, from)`` tuples, after checking it is
    a list of lists of triples (``where`` prefixes the error message)."""
    if not isinstance(genes, (list, tuple)):
        raise GenotypeError(f'{where}genes must be a list of genes, got '
                            f'{type(genes).__name__}')
    out = []
    for g, gene in enumerate(genes):
        if not isinstance(gene, (list, tuple)):
            raise GenotypeError(f'{where}gene {g}: must be a list of edges, '
                                f'got {type(gene).__name__}')
        for e, edge in enumerate(gene):
            if not (isinstance(edge, (list, tuple)) and len(edge) == 3):
                raise GenotypeError(f'{where}gene {g}, edge {e} must be an '
                                    f'(op, to, from) triple, got {edge!r}')
        out.append([tuple(edge) for edge in gene])
    return out


def gene_concat(gene):
    """Intermediate nodes of a gene that have at least one incoming edge."""
    return tuple(sorted({edge[1] for edge in gene}))


def default_reductions(num_cells):
    """DARTS' reduction positions: ``N//3`` and ``2N//3`` (2 and 5 for 8)."""
    if num_cells < 3:
        raise ValueError(
            f'a network with {num_cells} cells has no room for two '
            'reduction cells (need at least 3)')
    return (num_cells // 3, 2 * num_cells // 3)
