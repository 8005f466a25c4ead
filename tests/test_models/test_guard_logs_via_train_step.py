"""The ablation guard flag reaches GenotypeExportHook through the real model
path (``DDartsSearch.train_step`` -> ``latest_arch_logs``), not fed by hand:
a guarded step is left out of the epoch's labl mean and counted in
``search_history.jsonl``."""
import json
import os.path as osp
from types import SimpleNamespace

import pytest
import torch

pytest.importorskip('mmpretrain')


from mmddarts.engine.hooks.genotype_export_hook import \
    GenotypeExportHook  # noqa: E402
from mmddarts.engine.optimizers import \
    SearchOptimWrapperConstructor  # noqa: E402
from mmddarts.models.algorithms import DDartsSearch  # noqa: E402
from mmddarts.testing.search_batch import make_batch  # noqa: E402


class _Logger:

    def __init__(self):
        self.lines = []

    def info(self, msg):
        self.lines.append(msg)

    warning = info


def test_guarded_step_reaches_the_hook(tmp_path):
    torch.manual_seed(0)
    model = DDartsSearch(
        architecture=dict(type='mmddarts.DDartsSupernet', num_classes=3,
                          channels=4, num_cells=3, steps=2,
                          ablation_cfg=dict(rel_eps=0.0)),
        arch_strategy=dict(type='mmddarts.LeaveOneOutArchStep', w01=7.0,
                           w_abl=0.5, ablation='exact'),
        parse_methods=('darts', ))
    model.train()
    optim = SearchOptimWrapperConstructor(dict(
        architecture=dict(optimizer=dict(type='Adam', lr=3e-3)),
        weights=dict(optimizer=dict(type='SGD', lr=0.01))))(model)
    runner = SimpleNamespace(
        model=model, work_dir=str(tmp_path), epoch=0, logger=_Logger(),
        visualizer=SimpleNamespace(add_scalars=lambda s, step: None))
    hook = GenotypeExportHook(draw=False)
    hook.before_train_epoch(runner)
    net = model.architecture
    labls = []
    # step 1: the absolute guard certainly fires (|mean mc| <= 1e9);
    # steps 2 and 3: it cannot (eps 0, rel_eps 0, mean mc != 0)
    for i, eps in enumerate((1e9, 0.0, 0.0)):
        net.ablation_cfg['eps'] = eps
        logs = model.train_step(
            dict(weights=make_batch(10 + i), arch=make_batch(20 + i)), optim)
        assert float(logs['arch_abl_guarded']) == float(eps > 0)
        labls.append(model.latest_arch_logs['labl'].clone())
        hook.after_train_iter(runner, i)
    assert torch.all(labls[0] == 0) and not torch.all(labls[1] == 0)
    hook.after_train_epoch(runner)
    with open(osp.join(str(tmp_path), 'search_history.jsonl')) as f:
        rec = json.loads(f.readline())
    assert (rec['arch_steps'], rec['guarded_steps'],
            rec['skipped_steps']) == (3, 1, 0)
    # labl: the mean over the two unguarded steps only (not diluted by the
    # guarded step's zeros)
    assert rec['labl'] == pytest.approx(
        ((labls[1] + labls[2]) / 2).tolist(), rel=1e-5, abs=1e-7)
    assert 'ablation guard did not fire' in runner.logger.lines[-1]
