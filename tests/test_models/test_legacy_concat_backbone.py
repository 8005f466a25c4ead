"""concat_rule='legacy' honours a DARTS text whose normal and reduce
concats differ, in the classification and detection backbones."""
import torch

from mmddarts.models.backbones import DDartsNet
from mmddarts.models.backbones.ddarts_det_backbone import det_out_channels
from mmddarts.structures import parse_legacy_genotype

TEXT = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 0), ('skip_connect', 2), ('sep_conv_3x3', 1), "
    "('skip_connect', 3), ('skip_connect', 0), ('dil_conv_3x3', 4)], "
    "normal_concat=[4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), "
    "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
    "('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")


def test_normal_and_reduce_concats_from_the_file():
    geno = parse_legacy_genotype(TEXT)
    net = DDartsNet(geno, channels=4, num_cells=5, concat_rule='legacy',
                    aux_index=None)
    # reductions of a 5-cell DARTS layout: 5//3 = 1 and 2*5//3 = 3
    expected = {0: (4, 5), 1: (2, 3, 4, 5), 2: (4, 5), 3: (2, 3, 4, 5),
                4: (4, 5)}
    C = {0: 4, 1: 8, 2: 8, 3: 16, 4: 16}
    for i, cell in enumerate(net.cells):
        assert tuple(cell.concat) == expected[i], i
        assert cell.out_channels == len(expected[i]) * C[i]
    out = net(torch.randn(1, 3, 16, 16))
    assert out[-1].shape[1] == 2 * 16
    # the 'fed' rule concatenates every node with an input instead
    fed = DDartsNet(geno, channels=4, num_cells=5, aux_index=None)
    assert tuple(fed.cells[0].concat) == (2, 3, 4, 5)


def test_detection_widths_use_the_same_concats():
    geno = parse_legacy_genotype(TEXT)
    widths = det_out_channels(geno, channels=4, num_cells=5,
                              concat_rule='legacy')
    net = DDartsNet(geno, channels=4, num_cells=5, concat_rule='legacy',
                    stem='ddarts_imagenet', aux_index=None)
    # every stage output is one of the cells' own widths
    assert set(widths) <= {c.out_channels for c in net.cells}
    assert widths[-1] == net.cells[-1].out_channels == 2 * 16
