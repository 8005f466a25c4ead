"""GenotypeExportHook on a fake runner: per-owner log lines and files when
alpha owners are not cell positions (shared alphas, DARTOpti)."""
import json
import math
import os.path as osp
from types import SimpleNamespace

import pytest
import torch

from mmddarts.engine.hooks.genotype_export_hook import GenotypeExportHook
from mmddarts.models.search import DDartsSupernet
from mmddarts.structures.parsing import edge_index
from mmddarts.structures.op_sets import DARTS_OPS
from mmddarts.structures.loading import load_genotype


def logit(p):
    return math.log(p / (1 - p))


class _Model(torch.nn.Module):
    """The parts of DDartsSearch the hook reads."""

    def __init__(self, net):
        super().__init__()
        self.architecture = net
        self.parse_methods = ('sparse', )
        self.threshold = 0.85
        self.latest_arch_logs = {}

    def named_arch_parameters(self):
        return self.architecture.named_arch_parameters()

    def genotype(self, method='sparse', threshold=0.85):
        return self.architecture.genotype(method=method, threshold=threshold)


class _Logger:

    def __init__(self):
        self.lines = []

    def info(self, msg):
        self.lines.append(msg)

    warning = info


def make_runner(tmp_path):
    # owner 0: skip_connect 2<-0; owner 1: max_pool_3x3 2<-1. Cells 0 and 2
    # belong to owner 1, so cell k != owner k.
    a0 = torch.full((5, 7), logit(0.1))
    a0[edge_index(2, 0), DARTS_OPS.index('skip_connect')] = logit(0.95)
    a1 = torch.full((5, 7), logit(0.1))
    a1[edge_index(2, 1), DARTS_OPS.index('max_pool_3x3')] = logit(0.95)
    torch.manual_seed(0)
    net = DDartsSupernet(num_classes=3, channels=4, num_cells=3, steps=2,
                         alpha_owners=[1, 0, 1], init_alphas=[a0, a1])
    model = _Model(net)
    scalars = {}
    visualizer = SimpleNamespace(
        add_scalars=lambda s, step: scalars.update(s))
    return SimpleNamespace(model=model, work_dir=str(tmp_path), epoch=0,
                           logger=_Logger(), visualizer=visualizer)


def test_owner_lines_show_the_owners_gene(tmp_path):
    runner = make_runner(tmp_path)
    hook = GenotypeExportHook(draw=False)
    hook.before_train_epoch(runner)
    runner.model.latest_arch_logs = dict(mc=torch.tensor([0.2, 0.4]),
                                         labl=torch.tensor([0.5, -0.5]))
    hook.after_train_iter(runner, 0)
    hook.after_train_epoch(runner)
    text = runner.logger.lines[-1]
    line0 = next(ln for ln in text.splitlines() if 'alphas.0' in ln)
    line1 = next(ln for ln in text.splitlines() if 'alphas.1' in ln)
    assert 'skip_connect 2<-0' in line0 and 'max_pool' not in line0
    assert 'max_pool_3x3 2<-1' in line1 and 'skip_connect' not in line1
    assert 'mc=0.2000' in line0 and 'labl=-0.5000' in line1
    geno = load_genotype(osp.join(str(tmp_path),
                                  'genotype_sparse_epoch_1.json'))
    assert geno.seq == (1, 0, 1)
    with open(osp.join(str(tmp_path), 'search_history.jsonl')) as f:
        rec = json.loads(f.readline())
    assert rec['mc'] == pytest.approx([0.2, 0.4])
    assert rec['dominant'] == [1, 1]


def test_overflowed_step_does_not_poison_epoch_means(tmp_path):
    """An fp16 step the loss scaler skipped (inf/nan logs) is left out of the
    epoch's averages instead of turning them into nan."""
    runner = make_runner(tmp_path)
    hook = GenotypeExportHook(draw=False)
    hook.before_train_epoch(runner)
    for mc in ([0.2, 0.4], [float('inf'), float('nan')], [0.4, 0.6]):
        runner.model.latest_arch_logs = dict(mc=torch.tensor(mc),
                                             labl=torch.tensor([0.5, -0.5]))
        hook.after_train_iter(runner, 0)
    hook.after_train_epoch(runner)
    with open(osp.join(str(tmp_path), 'search_history.jsonl')) as f:
        rec = json.loads(f.readline())
    assert rec['mc'] == pytest.approx([0.3, 0.5])


def test_guarded_steps_are_left_out_of_labl_only(tmp_path):
    """A step whose ablation guard fired logs labl = 0 ("term off"): it
    counts for mc but not for the labl mean."""
    runner = make_runner(tmp_path)
    hook = GenotypeExportHook(draw=False)
    hook.before_train_epoch(runner)
    steps = (([0.2, 0.4], [0.5, -0.5], 0.), ([0.1, -0.1], [0., 0.], 1.),
             ([0.3, 0.6], [1.0, -1.0], 0.))
    for mc, labl, guarded in steps:
        runner.model.latest_arch_logs = dict(
            mc=torch.tensor(mc), labl=torch.tensor(labl),
            abl_guarded=torch.tensor(guarded))
        hook.after_train_iter(runner, 0)
    hook.after_train_epoch(runner)
    with open(osp.join(str(tmp_path), 'search_history.jsonl')) as f:
        rec = json.loads(f.readline())
    assert rec['mc'] == pytest.approx([0.2, 0.3])  # all three steps
    assert rec['labl'] == pytest.approx([0.75, -0.75])  # steps 1 and 3
    assert rec['abl_guarded'] == pytest.approx(1 / 3)
    assert 'ablation guard did not fire' in runner.logger.lines[-1]
