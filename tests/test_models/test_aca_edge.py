"""ACA evaluation edges and networks (docs/aca.md): all channels important
is the plain edge exactly, none important (stride 1) the identity, a split
is the op on its channels and identity / FactorizedReduce on the rest,
compared with an independent per-channel computation."""
import pytest
import torch

from mmddarts.models.aca_edge import ACAEdge, build_edge
from mmddarts.models.backbones import DDartsNet
from mmddarts.models.ops import FactorizedReduce, Identity, build_op
from mmddarts.structures import Genotype
from mmddarts.structures.channel_allocation import EdgeAllocation


def randomise(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand(t.shape, generator=g) * 0.5 + 0.5
                        if 'running_var' in name else
                        torch.randn(t.shape, generator=g) * 0.3)
    return module


def x_of(C, seed=1, size=6):
    return torch.randn(2, C, size, size,
                       generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize('stride', [1, 2])
@pytest.mark.parametrize('name', ['sep_conv_3x3', 'max_pool_3x3',
                                  'dil_conv_5x5'])
def test_all_channels_important_is_the_plain_edge(name, stride):
    C = 6
    plain = randomise(build_op(name, C, stride)).eval()
    edge = ACAEdge(name, C, stride, list(range(C))).eval()
    if edge.op is not None and list(plain.state_dict()):
        edge.op.load_state_dict(plain.state_dict())
    x = x_of(C)
    assert torch.equal(edge(x), plain(x))
    # build_edge gives the plain op itself (same keys as a plain edge)
    built = build_edge(name, C, stride, EdgeAllocation(1.0, tuple(range(C))))
    assert type(built) is type(plain)
    assert built.state_dict().keys() == plain.state_dict().keys()


def test_no_channel_important_stride_one_is_identity():
    x = x_of(5)
    edge = ACAEdge('sep_conv_3x3', 5, 1, []).eval()
    assert edge.op is None and sum(p.numel() for p in edge.parameters()) == 0
    assert torch.equal(edge(x), x)
    assert isinstance(build_edge('sep_conv_3x3', 5, 1,
                                 EdgeAllocation(0.0, (0, 1, 2, 3, 4))),
                      Identity)


def test_no_channel_important_stride_two_is_factorized_reduce():
    C = 6
    fr = randomise(FactorizedReduce(C, C)).eval()
    edge = ACAEdge('sep_conv_3x3', C, 2, []).eval()
    edge.skip.load_state_dict(fr.state_dict())
    x = x_of(C, size=7)  # odd size: ceil(7 / 2) = 4
    assert torch.equal(edge(x), fr(x))
    assert edge(x).shape == (2, C, 4, 4)


@pytest.mark.parametrize('stride', [1, 2])
def test_split_puts_outputs_in_place(stride):
    C, keep = 7, [1, 4, 5]
    rest = [0, 2, 3, 6]
    edge = randomise(ACAEdge('sep_conv_5x5', C, stride, keep)).eval()
    x = x_of(C, size=8)
    out = edge(x)
    # independent: op on the kept channels, skip on the others, placed
    # channel by channel
    y_op = edge.op(torch.stack([x[:, c] for c in keep], 1))
    y_id = edge.skip(torch.stack([x[:, c] for c in rest], 1))
    for i, c in enumerate(keep):
        assert torch.equal(out[:, c], y_op[:, i])
    for i, c in enumerate(rest):
        assert torch.equal(out[:, c], y_id[:, i])
    if stride == 1:
        assert torch.equal(out[:, rest], x[:, rest])
    # the op is built for 3 channels: fewer parameters than the plain op
    plain = build_op('sep_conv_5x5', C, stride)
    assert edge.op_channels == 3
    assert sum(p.numel() for p in edge.parameters()) < sum(
        p.numel() for p in plain.parameters())


def test_stride_two_single_identity_channel_is_refused_by_the_module():
    with pytest.raises(ValueError, match='needs 0 or >= 2'):
        ACAEdge('sep_conv_3x3', 4, 2, [0, 1, 2])


GENE = [('sep_conv_3x3', 2, 0), ('max_pool_3x3', 2, 1),
        ('dil_conv_3x3', 3, 2), ('sep_conv_5x5', 3, 1)]


def aca_genotype(fraction):
    # ranks searched at C=4 (width-free): the net builds at C=6 / 12
    allocs = [[EdgeAllocation(fraction, (3, 1, 0, 2)), None,
               EdgeAllocation(fraction, (0, 1, 2, 3)),
               EdgeAllocation(fraction, (2, 3, 1, 0))]]
    return Genotype(genes=[GENE], seq=[0, 0, 0], reductions=[1], steps=2,
                    allocations=allocs)


def test_net_with_full_allocations_is_the_plain_net():
    plain_g = aca_genotype(1.0).replace(allocations=None)
    plain = randomise(DDartsNet(plain_g, channels=6, aux_index=None)).eval()
    full = DDartsNet(aca_genotype(1.0), channels=6, aux_index=None).eval()
    sd = {k: v for k, v in plain.state_dict().items()
          if not k.endswith('_extra_state')}
    full.load_state_dict(sd, strict=False)
    x = x_of(3, size=8)
    assert torch.equal(full(x)[0], plain(x)[0])


def test_net_with_split_allocations_is_smaller_and_trains():
    net = DDartsNet(aca_genotype(0.5), channels=6, aux_index=1)
    plain = DDartsNet(aca_genotype(0.5).replace(allocations=None),
                      channels=6, aux_index=1)
    n = sum(p.numel() for p in net.parameters())
    assert n < sum(p.numel() for p in plain.parameters())
    # cell 1 is the reduction (C=12): its stride-2 edge 0 is an ACAEdge
    edge = net.cells[1].ops[0]
    assert isinstance(edge, ACAEdge) and edge.stride == 2
    assert edge.op_channels == 6
    net.train()
    net.drop_path_prob = 0.3
    outs, aux = net(x_of(3, size=8), with_aux_output=True)
    (outs[0].sum() + aux.sum()).backward()
    assert all(p.grad is not None for p in net.parameters()
               if p.requires_grad)


def test_checkpoint_records_allocations(tmp_path):
    net = randomise(DDartsNet(aca_genotype(0.5), channels=6))
    sd = net.state_dict()
    path = tmp_path / 'net.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in sd.items()}},
               path)
    rebuilt = DDartsNet('from_checkpoint', init_cfg=dict(
        type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    assert rebuilt.genotype == net.genotype
    assert rebuilt.genotype.allocations is not None
    rebuilt.load_state_dict(sd)
    x = x_of(3, size=8)
    net.eval(), rebuilt.eval()
    assert torch.equal(net(x)[0], rebuilt(x)[0])
    # same shapes, other channels: refused by the architecture record
    other = aca_genotype(0.5)
    allocs = [list(other.allocations[0])]
    allocs[0][2] = EdgeAllocation(0.5, (3, 2, 1, 0))
    other = other.replace(allocations=allocs)
    with pytest.raises(Exception, match='ACA channel allocations differ'):
        DDartsNet(other, channels=6).load_state_dict(sd)


def test_whole_op_consumers_refuse_allocations():
    from mmddarts.models.converters.reference_converter import \
        convert_reference_state_dict
    from mmddarts.models.search.dartopti import DARTOptiSupernet
    from mmddarts.structures.genotype import GenotypeError
    g = aca_genotype(0.5)
    with pytest.raises(GenotypeError, match=r'convert_reference_state_dict '
                       r'does not support ACA channel allocations \(gene 0, '
                       r"cell\(s\) \[0, 1, 2\], edge 0 \('sep_conv_3x3'"):
        convert_reference_state_dict({}, g)
    with pytest.raises(GenotypeError, match='DARTOptiSupernet .* does not '
                       'support ACA'):
        DARTOptiSupernet(baseline=g.to_dict())
