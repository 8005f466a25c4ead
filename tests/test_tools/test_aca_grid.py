"""The ACA grid's bookkeeping (mmddarts.analysis.aca_grid) on hand-made
genotypes, histories and records; the runs themselves go through the real
tools (tests/test_tools/test_aca_end_to_end.py covers that chain)."""
import json
import math

from mmddarts.analysis import aca_grid
from mmddarts.structures import Genotype

G1 = [('skip_connect', 2, 0), ('sep_conv_3x3', 2, 1),
      ('skip_connect', 3, 0), ('max_pool_3x3', 3, 2)]
G2 = [('sep_conv_3x3', 2, 0), ('sep_conv_3x3', 2, 1),
      ('dil_conv_3x3', 3, 0), ('max_pool_3x3', 3, 2)]


def test_plan_skips_done_runs_seed_major():
    p = aca_grid.plan(['a', 'b'], [2, 8], [0, 1], done=[('a', 2, 0)])
    assert p[:3] == [('b', 2, 0), ('a', 8, 0), ('b', 8, 0)]
    assert len(p) == 7


def test_cell_stats_counts_skips_types_and_identity():
    g = Genotype(genes=[G1, G2], seq=[0, 1, 0], reductions=[1], steps=2)
    s = aca_grid.cell_stats(g, 4)
    assert s['skips'] == [2, 0, 2]
    assert s['op_types'] == [3, 3, 3]  # skip, sep, max | sep, dil, max
    assert s['identity_share'] == [0, 0, 0]
    # ACA: half of edge 0 of gene 1 (reduction cell, stride 2, C=8) is
    # identity: 4 of 4 x 8 channels = 1/8; 'skip' becomes a type there
    aca = g.replace(allocations=[[None] * 4, [
        {'fraction': 0.5, 'ranks': [0, 1, 2, 3]}, None, None, None]])
    s = aca_grid.cell_stats(aca, 4)
    assert s['identity_share'] == [0, 0.125, 0]
    assert s['op_types'] == [3, 4, 3]


def test_epoch_stats_reads_the_history(tmp_path):
    path = tmp_path / 'search_history.jsonl'
    recs = []
    for epoch, gene in ((1, G1), (2, G1), (3, G2)):
        g = Genotype(genes=[gene], seq=[0, 0, 0], reductions=[1], steps=2)
        recs.append(json.dumps(dict(epoch=epoch,
                                    genotypes=dict(darts=g.to_dict()))))
    path.write_text('\n'.join(recs) + '\n')
    stats = aca_grid.epoch_stats(str(path), 'darts')
    assert [s['skips'] for s in stats] == [[2] * 3, [2] * 3, [0] * 3]
    assert stats[0]['distance'] is None and stats[1]['distance'] == 0
    assert stats[2]['distance'] > 0


def test_aggregate_and_table():
    def rec(method, seed, acc, skips):
        return dict(
            method=method,
            epochs=4,
            seed=seed,
            test_acc=acc,
            params=100,
            fallback_cells=seed,
            final=dict(
                skips=skips, identity_share=[0.5, 0.25], op_types=[2, 3]),
            per_epoch=[
                dict(skips=[1, 0], distance=None),
                dict(skips=skips, distance=0.2)
            ])
    s = aca_grid.aggregate([rec('darts', 0, 90., [2, 1]),
                            rec('darts', 1, 80., [0, 1])])
    row = s[('darts', 4)]
    assert row['n'] == 2 and row['acc_mean'] == 85.
    assert math.isclose(row['acc_std'], math.sqrt(50.))
    assert row['skips'] == 2.0 and row['identity'] == 0.375
    assert row['op_types'] == 2.5 and row['distance'] == 0.2
    assert row['fallback_cells'] == 0.5
    assert row['skips_by_epoch'] == [1.0, 2.0]
    assert '| `darts` | 4 | 2 | 85.00 ± 7.07 |' in aca_grid.markdown(s)


def test_trained_config_applies_the_scale_options(tmp_path):
    g = Genotype(genes=[G2], seq=[0, 0, 0], reductions=[1], steps=2)
    path = str(tmp_path / 'g.json')
    g.save(path)
    cfg = aca_grid.trained_config(
        'configs/train/ddarts_digits.py', path, 3,
        ['model.backbone.channels=4',
         'train_dataloader.dataset.pipeline.0.crop_size=16'])
    assert cfg.model.backbone.channels == 4
    assert cfg.train_dataloader.dataset.pipeline[0].crop_size == 16
    from mmddarts.models.backbones import DDartsNet
    net = DDartsNet(g, channels=4)
    # backbone + the linear head on the last cell; no auxiliary head
    want = sum(p.numel() for p in net.parameters()) + \
        net.out_channels[-1] * 10 + 10
    assert aca_grid.count_params(cfg) == want


def test_read_runs_fills_fallback_cells_from_the_genotype(tmp_path):
    g = Genotype(genes=[G2], seq=[0, 0, 0], reductions=[1], steps=2,
                 meta=dict(empty_fallback=[dict(owner=0), dict(owner=1)]))
    run = tmp_path / aca_grid.run_key('ddarts', 3, 0) / 'search'
    g.save(str(run / 'genotype_sparse_final.json'))
    (tmp_path / 'runs.jsonl').write_text(
        json.dumps(dict(method='ddarts', epochs=3, seed=0)) + '\n' +
        json.dumps(dict(method='darts', epochs=3, seed=0,
                        fallback_cells=0)) + '\n')
    runs = aca_grid.read_runs(str(tmp_path))
    assert [r['fallback_cells'] for r in runs] == [2, 0]


def test_tool_aggregates_one_budget_once(tmp_path):
    from mmddarts.testing.tools import load_tool
    tool = load_tool('tools/analysis_tools/aca_grid.py')
    budget = dict(search_options=[], train_options=[], train_epochs=2)

    def rec(seed, acc, budget=budget):
        return dict(method='darts+aca', epochs=4, seed=seed, test_acc=acc,
                    params=10, fallback_cells=0, budget=budget,
                    final=dict(skips=[0], identity_share=[0.5],
                               op_types=[3]),
                    per_epoch=[dict(skips=[0], distance=None)])
    other = dict(budget, train_epochs=9)
    lines = [rec(0, 90.), rec(1, 80.), rec(1, 10.), rec(2, 0., other)]
    (tmp_path / 'runs.jsonl').write_text(
        ''.join(json.dumps(r) + '\n' for r in lines))
    summary = tool.main(['--aggregate-only', '--work-dir', str(tmp_path),
                         '--epochs', '4', '--train-epochs', '2'])
    row = summary[('darts+aca', 4)]
    # seed 1 counted once (its first record), the other budget left out
    assert row['n'] == 2 and row['acc_mean'] == 85.
    text = (tmp_path / 'summary.md').read_text()
    assert '| `darts+aca` | 4 | 2 | 85.00' in text
