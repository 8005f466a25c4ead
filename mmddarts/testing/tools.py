"""Load a ``tools/`` script of the source checkout as a module, so a test
calls its ``main(argv)`` in-process (tools are scripts, not a package)."""
import importlib.util
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(path, name=None):
    """``tools/...py`` (relative to the repository root) as a fresh module
    named ``name`` (default: ``tool_`` + the file's stem)."""
    full = osp.join(REPO, path)
    if not osp.isfile(full):
        raise FileNotFoundError(f'no tool {path} under {REPO} (the testing '
                                'helpers need a source checkout)')
    name = name or 'tool_' + osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, full)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
