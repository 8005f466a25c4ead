"""Every test path that .ci/run names exists: a moved test file must not
turn the CI's extra CPU-path run into 'file or directory not found'."""
import os.path as osp
import re

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_ci_run_names_existing_test_paths():
    text = open(osp.join(REPO, '.ci', 'run')).read()
    code = '\n'.join(line.split('#', 1)[0] for line in text.splitlines())
    paths = re.findall(r'(?<![\w/])tests/[\w./-]*', code)
    assert len(paths) >= 10, paths  # the numeric selection is there
    missing = [p for p in paths if not osp.exists(osp.join(REPO, p))]
    assert not missing, f'.ci/run names missing test paths: {missing}'
