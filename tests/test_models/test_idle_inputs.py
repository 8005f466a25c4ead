"""Cells whose gene leaves an input unread: the idle preprocessing is kept
(parameter counts) but frozen, so DDP trains them without
find_unused_parameters."""
import pytest
import torch
import torch.distributed as dist
from torch import nn

from mmddarts.models.backbones import DDartsNet
from mmddarts.structures.loading import load_genotype

# DO-2-ResNet50: no edge of cell 1 reads input 1 (checked below from the
# genotype file itself, not from the network).
GENOTYPE = 'configs/genotypes/do2-resnet50_c100.json'


def _idle_inputs(path):
    geno = load_genotype(path)
    idle = []
    for cell in range(len(geno.seq)):
        read = {src for _, _, src in geno.gene(cell)}
        idle += [f'cells.{cell}.preprocess{i}.' for i in (0, 1)
                 if i not in read]
    return idle


class _Classifier(nn.Module):

    def __init__(self, **kwargs):
        super().__init__()
        self.backbone = DDartsNet(GENOTYPE, channels=4, **kwargs)
        self.head = nn.Linear(self.backbone.out_channels[-1], 3)

    def forward(self, x):
        feats = self.backbone(x)
        return self.head(feats[-1].mean((2, 3)))


def _no_grad_params(model):
    torch.manual_seed(0)
    model(torch.randn(2, 3, 16, 16)).sum().backward()
    return sorted(n for n, p in model.named_parameters() if p.grad is None)


def test_exactly_the_idle_preprocessing_is_frozen():
    idle = _idle_inputs(GENOTYPE)
    assert idle == ['cells.1.preprocess1.']
    model = _Classifier()
    frozen = sorted(n for n, p in model.named_parameters()
                    if not p.requires_grad)
    assert frozen and all(
        any(n.startswith('backbone.' + i) for i in idle) for n in frozen)
    # autograd agrees: exactly the frozen ones get no gradient
    assert _no_grad_params(model) == frozen
    # kept for the parameter count; dropped ones are exactly those
    dropped = _Classifier(keep_unused_inputs=False)
    n_all = sum(p.numel() for p in model.parameters())
    n_frozen = sum(p.numel() for p in model.parameters()
                   if not p.requires_grad)
    assert sum(p.numel() for p in dropped.parameters()) == n_all - n_frozen
    assert _no_grad_params(dropped) == []


@pytest.fixture
def gloo_group(tmp_path):
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
        world_size=1)
    yield
    dist.destroy_process_group()


def test_ddp_trains_without_find_unused_parameters(gloo_group):
    """Before the freeze, the second iteration failed with 'Expected to
    have finished reduction in the prior iteration'."""
    model = nn.parallel.DistributedDataParallel(
        _Classifier(), find_unused_parameters=False)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.manual_seed(0)
    for _ in range(3):
        loss = model(torch.randn(2, 3, 16, 16)).square().mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
    assert torch.isfinite(loss)


def test_dead_cell_of_the_xception_genotypes_is_frozen():
    """In DO-Xception, cell 12 reads only input 0 (cell 10), so cell 11's
    output reaches nothing: read from the genotype file, not the net."""
    for path in ('configs/genotypes/do1-xception_c10.json',
                 'configs/genotypes/do2-xception_c100.json'):
        geno = load_genotype(path)
        assert 1 not in {src for _, _, src in geno.gene(12)}
        net = DDartsNet(path, channels=4, aux_index=8)
        assert net.dead_cells == (11, )
        assert not any(p.requires_grad for p in net.cells[11].parameters())
        assert all(p.requires_grad for p in net.cells[10].parameters())
        # the last cell is the output: nothing after it, nothing dead there
        assert DDartsNet(path, channels=4, aux_index=None,
                         out_indices=(11, 12)).dead_cells == ()
