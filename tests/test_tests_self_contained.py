"""The test suite is self-contained: no test names an absolute path or a
directory above the repository, so a user's clone runs every test (the
reference files the tests need live in tests/data/, see its README)."""
import glob
import os.path as osp
import re

TESTS = osp.dirname(osp.abspath(__file__))

# A string literal that starts with '/' and a path character ('/work/...',
# "/tmp/x", '/home') or a drive letter ('C:\\', 'D:/'). The kernel's own
# views (/proc, /dev) hold no data: a test may inspect its process there.
ABSOLUTE = re.compile(r"""(?<![\w'"])[rbfRBF]?(['"])"""
                      r"""(/(?!proc/|dev/)[\w.~-][^'"\n]*|"""
                      r"""[A-Za-z]:[\\/][^'"\n]*)\1""")
# Going up out of the repository to find reference data.
ABOVE_REPO = re.compile(r"""['"]\.\.['"]\s*,\s*['"]shared['"]|"""
                        r"""\.\./shared|['"]shared['"]\s*,\s*['"]reference""")


def offending_lines(text):
    """``(line number, line)`` of every line naming an absolute path or the
    shared reference directory above the repository."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split('#', 1)[0] if not line.lstrip().startswith(
            ('"', "'")) else line
        if ABSOLUTE.search(code) or ABOVE_REPO.search(code):
            out.append((number, line.strip()))
    return out


def test_detector_catches_absolute_and_outside_paths():
    slash = '/'
    bad = [
        f"REF = '{slash}work{slash}shared{slash}reference{slash}x.json'",
        f'open("{slash}tmp{slash}data.txt")',
        f"p = r'{slash}home{slash}me'",
        "REF = osp.join(ROOT, '..', 'shared', 'reference')",
        "REF = osp.join(HERE, '..', '..', '..', 'shared', 'reference')",
        f"x = 'C:{slash}data'",
    ]
    for line in bad:
        assert offending_lines(line), line
    good = [
        "REF = osp.join(ROOT, 'tests', 'data', 'reference')",
        "assert g.meta['source_file'].startswith('reference/')",
        "cfg = 'configs/search/ddarts_digits.py'",
        "outfile_prefix='./work_dirs/x'",
        "s = a + '/' + b",
        "# see /work/shared in a comment: not code",
    ]
    for line in good:
        assert not offending_lines(line), line


def test_no_test_file_names_an_absolute_path():
    found = {}
    for path in sorted(glob.glob(osp.join(TESTS, '**', '*.py'),
                                 recursive=True)):
        if osp.samefile(path, __file__):
            continue  # the detector's own examples
        with open(path, encoding='utf-8') as f:
            lines = offending_lines(f.read())
        if lines:
            found[osp.relpath(path, TESTS)] = lines
    assert not found, (
        'tests must not read outside the repository (copy the data under '
        f'tests/data/ with a note of its source): {found}')
