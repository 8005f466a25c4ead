"""README command 1's job (tools/demo.py) end to end, shortened: the real
search -> genotype -> derived training -> test chain through the real tools,
on the built-in digits."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_demo_runs_search_train_and_test(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, 'tools/demo.py', '--work-dir', str(tmp_path),
         '--search-epochs', '1', '--train-epochs', '1'],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    geno_path = tmp_path / 'search' / 'genotype_sparse_final.json'
    geno = json.loads(geno_path.read_text())
    assert geno['format'] == 'mmddarts.genotype'
    assert len(geno['seq']) == 4 and geno['reductions'] == [1, 2]
    assert (tmp_path / 'search' / 'genotype_sparse_final.png').stat().st_size
    # Every cell the demo printed is a cell of the written genotype.
    printed = re.findall(r'cell (\d+) \((normal|reduction)\)', proc.stdout)
    assert [int(c) for c, _ in printed] == list(range(4))
    acc = re.search(r'test accuracy on held-out digits: ([0-9.]+)%',
                    proc.stdout)
    assert acc, proc.stdout[-2000:]
    assert 0.0 <= float(acc.group(1)) <= 100.0
    assert (tmp_path / 'train' / 'epoch_1.pth').is_file()
