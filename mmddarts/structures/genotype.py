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
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, NamedTuple, Optional, Tuple

from mmddarts.utils.file_io import atomic_write_text

from .channel_allocation import AllocationError, check_allocation
from .json_text import parse_json
from .op_sets import NONE_OP, OP_SETS

FORMAT_NAME = 'mmddarts.genotype'
# Version 2 added ACA's per-edge channel allocations (``allocations``). A
# genotype without them is still written as version 1, so older readers keep
# reading plain genotypes; one with them is version 2, which an older reader
# refuses with 'format version 2 is not supported'.
FORMAT_VERSION = 2
PLAIN_VERSION = 1
READ_VERSIONS = (1, 2)
# Keys a genotype file must have (``format`` and ``version`` may be left out,
# with a warning naming the value taken).
REQUIRED_KEYS = ('op_set', 'steps', 'genes', 'seq', 'reductions')


class GenotypeError(ValueError):
    """A genotype that cannot be used; the message names where and why."""


class GenotypeWarning(UserWarning):
    """A genotype file read with a default for a key it leaves out."""


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
        allocations: ACA channel allocations (docs/aca.md): ``None``, or
            one list per gene, aligned with its edges, of ``None`` (a plain
            edge) or an :class:`~.channel_allocation.EdgeAllocation` /
            ``{'fraction', 'ranks'}`` dict.
    """
    genes: Tuple[Tuple[Edge, ...], ...]
    seq: Tuple[int, ...]
    reductions: Tuple[int, ...]
    steps: int = 4
    op_set: str = 'darts'
    meta: Dict[str, Any] = field(default_factory=dict, compare=False)
    allocations: Optional[Tuple[Tuple[Any, ...], ...]] = None

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
        object.__setattr__(self, 'allocations',
                           self._checked_allocations(self.allocations))
        self.validate()

    def _checked_allocations(self, allocations):
        """Allocations as tuples of EdgeAllocation / None, one per edge of
        every gene; an error names the gene and edge."""
        if allocations is None:
            return None
        if not isinstance(allocations, (list, tuple)) or \
                len(allocations) != len(self.genes):
            n = len(allocations) if isinstance(allocations,
                                               (list, tuple)) else None
            raise GenotypeError(
                f'allocations: expected one list per gene '
                f'({len(self.genes)} genes), got '
                f'{n if n is not None else type(allocations).__name__}')
        out = []
        for g, (gene, allocs) in enumerate(zip(self.genes, allocations)):
            if not isinstance(allocs, (list, tuple)) or \
                    len(allocs) != len(gene):
                got = len(allocs) if isinstance(allocs, (list, tuple)) \
                    else type(allocs).__name__
                raise GenotypeError(
                    f'allocations of gene {g}: expected one entry per edge '
                    f'({len(gene)} edges), got {got} (an allocation for a '
                    'missing edge?)')
            row = []
            for e, value in enumerate(allocs):
                where = (f'allocation of gene {g}, edge {e} '
                         f'{tuple(gene[e]) if e < len(gene) else None!r}')
                try:
                    row.append(check_allocation(value, where))
                except AllocationError as err:
                    raise GenotypeError(str(err)) from None
            out.append(tuple(row))
        return tuple(out)

    @property
    def has_allocations(self):
        return self.allocations is not None and any(
            a is not None for gene in self.allocations for a in gene)

    def require_plain(self, consumer):
        """Raise naming the first allocated edge when ``consumer`` (a tool
        or format that builds every edge as a whole op) is given an ACA
        genotype, which it would silently misbuild."""
        if not self.has_allocations:
            return self
        for g, gene in enumerate(self.allocations):
            for e, a in enumerate(gene):
                if a is not None:
                    cells = [k for k, s in enumerate(self.seq) if s == g]
                    raise GenotypeError(
                        f'{consumer} does not support ACA channel '
                        f'allocations (gene {g}, cell(s) {cells}, edge {e} '
                        f'{tuple(self.genes[g][e])!r} has one); build it '
                        'with DDartsNet / DDartsDetBackbone, or drop them '
                        'with genotype.replace(allocations=None)')
        return self

    def allocation(self, cell, edge):
        """EdgeAllocation of edge ``edge`` of the cell at ``cell`` (None
        for a plain edge)."""
        if self.allocations is None:
            return None
        return self.allocations[self.seq[cell]][edge]

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
        except (TypeError, ValueError, RecursionError) as err:
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
        data = {
            'format': FORMAT_NAME,
            'version': FORMAT_VERSION if self.allocations is not None
            else PLAIN_VERSION,
            'op_set': self.op_set,
            'steps': self.steps,
            'genes': [[list(edge) for edge in gene] for gene in self.genes],
            'seq': list(self.seq),
            'reductions': list(self.reductions),
            'meta': dict(self.meta),
        }
        if self.allocations is not None:
            data['allocations'] = [[None if a is None else a.to_dict()
                                    for a in gene]
                                   for gene in self.allocations]
        return data

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
            elif key == 'allocations':
                text = '[\n' + ',\n'.join(
                    f'{pad * 2}[\n' + ',\n'.join(
                        f'{pad * 3}{json.dumps(a)}' for a in gene) +
                    f'\n{pad * 2}]' for gene in value) + f'\n{pad}]'
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
            # a file without 'version' is read as the version its keys need
            implied = (FORMAT_VERSION if 'allocations' in data else
                       PLAIN_VERSION)
            for key, default in (('format', FORMAT_NAME),
                                 ('version', implied)):
                if key not in data:  # identifies the file, nothing more
                    warnings.warn(
                        f'{source}: no {key!r} key; taking {default!r}',
                        GenotypeWarning, stacklevel=3)
            fmt = data.get('format', FORMAT_NAME)
            if fmt != FORMAT_NAME:
                raise GenotypeError(
                    f'format {fmt!r} is not {FORMAT_NAME!r}')
            version = data.get('version', implied)
            if version not in READ_VERSIONS:
                raise GenotypeError(
                    f'format version {version!r} is not supported (this '
                    f'mmddarts reads versions {list(READ_VERSIONS)})')
            if 'allocations' in data and version < 2:
                raise GenotypeError(
                    "key 'allocations' (ACA) needs format version 2, the "
                    f'file says version {version}')
            # op_set and steps decide the network and the distances: a
            # default could silently change them (docs: "Genotype format")
            missing = [k for k in REQUIRED_KEYS if k not in data]
            if missing:
                raise GenotypeError(
                    f'missing key(s) {missing} (op_set: '
                    f'{" or ".join(repr(k) for k in sorted(OP_SETS))}; steps:'
                    ' intermediate nodes per cell, 4 in DARTS)')
            known = {'format', 'version', 'op_set', 'steps', 'genes', 'seq',
                     'reductions', 'meta', 'allocations'}
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
                steps=data['steps'],
                op_set=data['op_set'],
                meta=meta,
                allocations=data.get('allocations'))
        except GenotypeError as err:
            raise GenotypeError(f'{source}: {err}') from None

    @classmethod
    def from_json(cls, text, source='genotype'):
        data = parse_json(text, source, error=GenotypeError)
        return cls.from_dict(data, source=source)

    def save(self, path):
        """Write as JSON (atomically: a crash never leaves half a file)."""
        atomic_write_text(path, self.to_json(indent=2) + '\n')

    def replace(self, **changes):
        """A copy with some fields changed (validated again)."""
        fields = dict(genes=self.genes, seq=self.seq,
                      reductions=self.reductions, steps=self.steps,
                      op_set=self.op_set, meta=dict(self.meta),
                      allocations=self.allocations)
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
