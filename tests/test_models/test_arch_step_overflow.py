"""An fp16-overflowed architecture step (skipped by the loss scaler) is
detected from the gradients, not the forward logs, and left out of the
epoch means. AMP cannot be built on CPU, so a torch GradScaler on CPU plays
AmpOptimWrapper's part (same scale / step / update calls)."""
import json
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.optim import OptimWrapper

pytest.importorskip('mmpretrain')

from mmpretrain.structures import DataSample  # noqa: E402

from mmddarts.engine.hooks.genotype_export_hook import \
    GenotypeExportHook  # noqa: E402
from mmddarts.registry import MODELS  # noqa: E402


class ScalerWrapper(OptimWrapper):
    """AmpOptimWrapper's loss-scaler protocol on a CPU GradScaler."""

    def __init__(self, optimizer, init_scale):
        super().__init__(optimizer)
        self.loss_scaler = torch.amp.GradScaler('cpu', init_scale=init_scale)

    def step(self, **kwargs):
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update()


def tiny():
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='mmddarts.DDartsSearch',
        architecture=dict(type='mmddarts.DDartsSupernet', num_classes=3,
                          channels=4, num_cells=3, steps=2),
        arch_strategy=dict(type='mmddarts.LeaveOneOutArchStep',
                           ablation='exact')))
    with torch.no_grad():
        for a in model.arch_parameters():
            a.normal_(0, 1)
    return model


def batch():
    g = torch.Generator().manual_seed(1)
    return dict(inputs=torch.randn(4, 3, 8, 8, generator=g),
                data_samples=[DataSample().set_gt_label(int(t))
                              for t in torch.randint(0, 3, (4, ),
                                                     generator=g)])


def arch_step(model, scale):
    opt = torch.optim.Adam(model.arch_parameters(), lr=0.1)
    wrapper = ScalerWrapper(opt, init_scale=scale)
    before = [a.detach().clone() for a in model.arch_parameters()]
    log_vars = model.arch_step(batch(), wrapper)
    moved = any(not torch.equal(b, a.detach())
                for b, a in zip(before, model.arch_parameters()))
    return log_vars, moved


def test_overflow_is_flagged_although_logs_are_finite():
    model = tiny()
    # 1e38 x the loss overflows fp32 gradients as 65536 x fp16 ones do
    log_vars, moved = arch_step(model, 1e38)
    assert not moved  # the scaler skipped the step
    assert all(bool(torch.isfinite(v).all())
               for v in model.latest_arch_logs.values())  # logs look fine
    assert not bool(model.latest_arch_grads_finite)
    assert float(log_vars['arch_grads_finite']) == 0.0
    log_vars, moved = arch_step(model, 1.0)
    assert moved and bool(model.latest_arch_grads_finite)
    assert float(log_vars['arch_grads_finite']) == 1.0


def test_hook_leaves_skipped_steps_out(tmp_path):
    model = tiny()
    lines = []
    runner = SimpleNamespace(
        model=model, work_dir=str(tmp_path), epoch=0,
        logger=SimpleNamespace(info=lines.append, warning=lines.append),
        visualizer=SimpleNamespace(add_scalars=lambda *a, **k: None))
    hook = GenotypeExportHook(draw=False)
    hook.before_train_epoch(runner)
    mcs = []
    for scale in (1.0, 1e38, 1.0):
        arch_step(model, scale)
        mcs.append((model.latest_arch_logs['mc'].clone(),
                    bool(model.latest_arch_grads_finite)))
        hook.after_train_iter(runner, 0)
    assert [ok for _, ok in mcs] == [True, False, True]
    hook.after_train_epoch(runner)
    with open(osp.join(str(tmp_path), 'search_history.jsonl')) as f:
        rec = json.loads(f.readline())
    expected = (mcs[0][0] + mcs[2][0]) / 2  # the skipped step left out
    assert rec['mc'] == pytest.approx(expected.tolist())
    assert any('1 step(s) with non-finite values' in ln and 'over 2 arch' in ln
               for ln in lines)
