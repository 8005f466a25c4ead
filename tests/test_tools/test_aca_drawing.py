"""The drawing of an ACA genotype labels each allocated op with the share
of its channels refilled with identity."""
from mmddarts.structures import Genotype
from mmddarts.visualization.genotype_drawer import panel_rows


def test_identity_share_in_labels(tmp_path):
    from mmddarts.visualization import draw_genotype
    g = Genotype(genes=[[('sep_conv_3x3', 2, 0), ('max_pool_3x3', 2, 1)]],
                 seq=[0, 0, 0], reductions=[1], steps=1,
                 allocations=[[{'fraction': 0.375, 'ranks': list(range(8))},
                               None]])
    rows = panel_rows(g.genes[0], 1, allocations=g.allocations[0])
    labels = [label for _, label, _ in rows]
    assert '2<-0  sep 3x3 (id 62%)' in labels  # 1 - 0.375, rounded
    assert '2<-1  max 3x3' in labels
    draw_genotype(g, str(tmp_path / 'g.png'))
    assert (tmp_path / 'g.png').stat().st_size > 0
