"""The shipped configs/genotypes/*.json match a fresh conversion of the
reference files, and carry the documented names and metadata."""
import glob
import importlib.util
import json
import os.path as osp

import pytest

from mmddarts.structures import Genotype
from mmddarts.structures.loading import load_genotype

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GDIR = osp.join(ROOT, 'configs', 'genotypes')
# the authors' released files, shipped with the tests
# (tests/data/reference/README.md)
REF = osp.join(ROOT, 'tests', 'data', 'reference')
SHIPPED = sorted(glob.glob(osp.join(GDIR, '*.json')))


def _tool():
    spec = importlib.util.spec_from_file_location(
        'convert_genotypes', osp.join(ROOT, 'tools', 'convert_genotypes.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_files_load():
    assert len(SHIPPED) == 20
    for path in SHIPPED:
        g = load_genotype(path)
        assert g == Genotype.from_json(g.to_json())


def test_fresh_conversion_matches_shipped(tmp_path):
    rows, skipped = _tool().convert(REF, str(tmp_path), verbose=False)
    fresh = sorted(glob.glob(str(tmp_path / '*.json')))
    assert [osp.basename(p) for p in fresh] == [osp.basename(p)
                                                for p in SHIPPED]
    for a, b in zip(fresh, SHIPPED):
        assert json.load(open(a)) == json.load(open(b)), osp.basename(b)
    assert [s[0] for s in skipped] == [
        'Xception_cifar100_threshold_edge_0.85.txt']


@pytest.mark.parametrize('name,paper,dataset,parse,cells,reductions', [
    ('do2-resnet18_c100', 'DO-2-ResNet18', 'cifar100', 'sparse', 4,
     (1, 2, 3)),
    ('do1-resnet18_c10', 'DO-1-ResNet18', 'cifar10', 'sparse', 4, (1, 2, 3)),
    ('do1-xception_c10', 'DO-1-Xception', 'cifar10', 'sparse', 13,
     (1, 2, 11, 12)),
    ('do-resnet50_c10_edge', None, 'cifar10', 'edge', 4, (1, 2, 3)),
    ('ddarts_c10_sparse', 'DD-1', 'cifar10', 'sparse', 8, (2, 5)),
    ('ddarts_c100_sparse_abl', None, 'cifar100', 'sparse', 8, (2, 5)),
    ('darts-v2', 'DARTS_V2', 'cifar10', 'darts', 8, (2, 5)),
])
def test_names_and_meta(name, paper, dataset, parse, cells, reductions):
    g = load_genotype(osp.join(GDIR, name + '.json'))
    if paper is not None:
        assert g.meta['paper_name'] == paper
    assert g.meta['dataset'] == dataset
    assert g.meta['parse_method'] == parse
    assert g.num_cells == cells and g.reductions == reductions
    assert g.meta['source_file'].startswith('reference/')
    if parse != 'darts':
        assert g.meta['threshold'] == 0.85


def test_ddarts_reductions_fixed_and_recorded():
    g = load_genotype(osp.join(GDIR, 'ddarts_c100_sparse_abl.json'))
    assert g.meta['legacy_reductions'] == [2, 6]
    assert g.meta['loss_weights'] == {'w01': 7.0, 'w_abl': 0.5}
    assert g.seq == tuple(range(8))


def test_readme_lists_every_file():
    readme = open(osp.join(GDIR, 'README.md')).read()
    for path in SHIPPED:
        assert f'`{osp.basename(path)}`' in readme
    assert 'Xception_cifar100_threshold_edge_0.85.txt' in readme
