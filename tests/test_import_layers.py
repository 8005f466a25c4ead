"""The package's imports go one way: no circles, no lower layer importing a
higher one (docs/architecture.md draws the layers).

Every ``import`` / ``from ... import`` of ``mmddarts`` is read with ``ast``,
at module level and inside functions alike (a function-level import hides a
circle from Python's import machinery, not from the design). An import of a
package points at its ``__init__``; importing a module does not count as
importing its parent packages (Python runs them first, but a package's
``__init__`` importing its own modules is not a circle).
"""
import ast
import glob
import os.path as osp
import re

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = osp.join(REPO, 'mmddarts')

# Lowest first. A module may import its own layer (without a circle) and
# the layers below it. The root ``mmddarts/__init__.py`` counts as a leaf:
# it only installs the checkpoint loader from ``utils``.
LAYERS = (
    # leaves: helpers that import nothing else of mmddarts
    ('mmddarts', 'mmddarts.version', 'mmddarts.registry', 'mmddarts.utils'),
    # genotypes and the torch-free algorithms over them
    ('mmddarts.structures', ),
    # data, drawings of genotypes, dispatch instruments
    ('mmddarts.datasets', 'mmddarts.visualization', 'mmddarts.profiling'),
    # networks: ops, cells, supernets, search algorithms, derived networks
    ('mmddarts.models', ),
    # export of trained networks
    ('mmddarts.deployment', ),
    # hooks, loops, optimizer wrappers, the Runner's set-up
    ('mmddarts.engine', ),
    # registers everything (imports every layer above inside a function)
    ('mmddarts.setup_env', ),
    # memory planning: builds and measures whole search iterations
    ('mmddarts.memory', ),
    # measurements and plots behind tools/analysis_tools; test helpers
    ('mmddarts.analysis', 'mmddarts.testing'),
)

# Circles still present, each with the work that removes it. Keep it short:
# a test below fails when an entry is no longer needed.
ALLOWED_CYCLES = ()


def module_files():
    """``{module name: path}`` of every module of the package."""
    out = {}
    for path in glob.glob(osp.join(PACKAGE, '**', '*.py'), recursive=True):
        rel = osp.relpath(path, REPO)[:-len('.py')].replace(osp.sep, '.')
        out[rel[:-len('.__init__')] if rel.endswith('.__init__') else rel] = \
            path
    return out


def imported_modules(name, path, modules):
    """``(target module, line)`` of every mmddarts import in ``path``."""
    is_package = path.endswith('__init__.py')
    tree = ast.parse(open(path).read(), path)
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split('.')
                if not is_package:
                    base = base[:-1]
                base = base[:len(base) - node.level + 1]
                base = '.'.join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            # ``from pkg import module`` imports the module
            targets = [f'{base}.{a.name}' if f'{base}.{a.name}' in modules
                       else base for a in node.names]
        for target in targets:
            if target != 'mmddarts' and not target.startswith('mmddarts.'):
                continue
            while target not in modules and '.' in target:
                target = target.rsplit('.', 1)[0]
            yield target, node.lineno


def import_graph():
    modules = module_files()
    graph = {m: {} for m in modules}
    for name, path in modules.items():
        for target, line in imported_modules(name, path, modules):
            if target != name:
                graph[name].setdefault(target, line)
    return graph


def layer_of(module):
    best = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or (prefix != 'mmddarts' and
                                    module.startswith(prefix + '.')):
                if best is None or len(prefix) > len(best[1]):
                    best = (index, prefix)
    return None if best is None else best[0]


def strongly_connected(graph):
    """Tarjan's strongly connected components with more than one module."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_walker_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / 'mmddarts' / 'sub'
    pkg.mkdir(parents=True)
    (pkg / '__init__.py').write_text('from .a import f\n')
    (pkg / 'a.py').write_text('def f():\n    from ..registry import X\n'
                              '    import mmddarts.sub.b\n')
    modules = {'mmddarts.sub': str(pkg / '__init__.py'),
               'mmddarts.sub.a': str(pkg / 'a.py'),
               'mmddarts.sub.b': '', 'mmddarts.registry': ''}
    assert sorted(t for t, _ in imported_modules(
        'mmddarts.sub.a', modules['mmddarts.sub.a'], modules)) == \
        ['mmddarts.registry', 'mmddarts.sub.b']
    assert [t for t, _ in imported_modules(
        'mmddarts.sub', modules['mmddarts.sub'], modules)] == \
        ['mmddarts.sub.a']
    cyc = strongly_connected({'a': {'b': 1}, 'b': {'a': 2}, 'c': {'a': 3}})
    assert cyc == [frozenset({'a', 'b'})]


def test_every_module_has_a_layer():
    missing = sorted(m for m in import_graph() if layer_of(m) is None)
    assert not missing, (f'{missing}: add the package to LAYERS here and to '
                         'docs/architecture.md')


def test_no_lower_layer_imports_a_higher_one():
    graph = import_graph()
    upward = []
    for module, targets in sorted(graph.items()):
        for target, line in sorted(targets.items()):
            if layer_of(target) > layer_of(module):
                upward.append(f'{module}:{line} imports {target}')
    assert not upward, 'imports against the layers:\n' + '\n'.join(upward)


def test_no_import_circles():
    cycles = [c for c in strongly_connected(import_graph())
              if c not in ALLOWED_CYCLES]
    assert not cycles, 'import circles: ' + '; '.join(
        ' <-> '.join(sorted(c)) for c in cycles)


def test_every_allowed_cycle_still_exists():
    found = set(strongly_connected(import_graph()))
    stale = [sorted(c) for c in ALLOWED_CYCLES if c not in found]
    assert not stale, f'{stale} no longer form a circle: drop them from ' \
        'ALLOWED_CYCLES'


SYS_PATH = re.compile(r'sys\.path\.(insert|append|extend)|syspath_prepend')
TOOL_LOADING = re.compile(r'spec_from_file_location|SourceFileLoader')


@pytest.mark.parametrize('folder', ['mmddarts', 'tools', 'tests'])
def test_nothing_edits_sys_path(folder):
    """Tools import the installed mmddarts; tests import shared helpers
    from mmddarts.testing."""
    found = []
    for path in sorted(glob.glob(osp.join(REPO, folder, '**', '*.py'),
                                 recursive=True)):
        if osp.samefile(path, __file__):
            continue
        for number, line in enumerate(open(path), 1):
            if SYS_PATH.search(line.split('#', 1)[0]):
                found.append(f'{osp.relpath(path, REPO)}:{number}')
    assert not found, found


def test_no_tool_loads_another_tool():
    """Shared logic lives in the package, which tools import."""
    found = []
    for path in sorted(glob.glob(osp.join(REPO, 'tools', '**', '*.py'),
                                 recursive=True)):
        text = open(path).read()
        if TOOL_LOADING.search(text):
            found.append(osp.relpath(path, REPO))
    assert not found, found


# Every package declares what it exports.
WITHOUT_ALL = ()


def test_every_package_init_declares_all():
    missing = []
    for path in sorted(glob.glob(osp.join(PACKAGE, '**', '__init__.py'),
                                 recursive=True)):
        rel = osp.relpath(path, REPO)
        tree = ast.parse(open(path).read(), path)
        names = {t.id for node in tree.body if isinstance(node, ast.Assign)
                 for t in node.targets if isinstance(t, ast.Name)}
        if '__all__' not in names and rel not in WITHOUT_ALL:
            missing.append(rel)
    assert not missing, f'{missing} define no __all__'
