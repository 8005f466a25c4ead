"""tools/convert_genotypes.py reads, by default, the released files that
ship with the tests (tests/data/reference/), says where they come from, and
reproduces the shipped configs/genotypes/*.json from them."""
import glob
import io
import json
import os.path as osp
import runpy
import sys
from contextlib import redirect_stdout

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'convert_genotypes.py')
REF = osp.join(REPO, 'tests', 'data', 'reference')
SHIPPED = sorted(glob.glob(osp.join(REPO, 'configs', 'genotypes', '*.json')))


def test_reference_copies_are_in_the_repository():
    assert len(glob.glob(osp.join(REF, 'd-darts', 'genotypes', '*.txt'))) \
        == 16
    assert osp.isfile(osp.join(REF, 'darts', 'genotypes.tsv'))
    with open(osp.join(REF, 'SOURCES_genotypes.md')) as f:
        note = f.read()
    assert 'https://github.com/aheuillet/D-DARTS' in note
    assert 'https://github.com/quark0/darts' in note
    assert 'licence' in note


def test_default_ref_dir_reproduces_shipped_files(tmp_path):
    old = sys.argv
    sys.argv = [TOOL, '--out-dir', str(tmp_path), '--no-readme']
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            runpy.run_path(TOOL, run_name='__main__')
    finally:
        sys.argv = old
    text = out.getvalue()
    assert f'reading {osp.join(REF, "d-darts/genotypes")} (from ' \
        'https://github.com/aheuillet/D-DARTS' in text
    assert 'https://github.com/quark0/darts' in text
    fresh = sorted(glob.glob(str(tmp_path / '*.json')))
    assert [osp.basename(p) for p in fresh] == \
        [osp.basename(p) for p in SHIPPED]
    for a, b in zip(fresh, SHIPPED):
        with open(a) as fa, open(b) as fb:
            assert json.load(fa) == json.load(fb), osp.basename(b)


def test_genotypes_readme_says_where_the_files_come_from():
    with open(osp.join(REPO, 'configs', 'genotypes', 'README.md')) as f:
        text = f.read()
    assert 'tests/data/reference/' in text
    assert 'https://github.com/aheuillet/D-DARTS' in text
