"""Kernel-launch budget of one full search iteration (architecture step +
weight step + both optimizer steps, after a warm-up iteration): aten compute
ops and host syncs counted by tools/analysis_tools/count_step_ops.py on the
8-cell, 4-node, DARTS-op-set, individual-alpha supernet of
configs/search/ddarts_c10.py at C=4, batch 2, 16x16 (the step counts do not
depend on width, batch or image size; docs/gpu.md, "Kernel launches per
search iteration").

Host syncs: scalar reads of tensors a GPU run keeps on the device (the
tool tracks which CPU tensors stay on the host, e.g. torch.optim's step
counters: those reads are not syncs). The budgets live in the dicts
below and nowhere else.

History (ops / syncs): main 35dfc76 before issue 9: none 29,942 / 1,
reference 51,738 / 3, exact 90,572 / 5. After issue 9 (fused node mixing
and tail BNs, shared ReLU and parameter-free ops, batched ablations with
the full network as a member, foreach optimizers, logs on device):
none 9,755 / 0, reference 12,072 / 0, exact 16,932 / 0 (16,932 with the
default ablation_checkpoint=True, 14,690 without). Node mix read from
the merged BN output as a stack (batched matmuls; fewer big copies on
CPU, a few more kernels): none 10,043, reference 12,452, exact 17,550.
These count the GPU's ablation plan (count_step_ops.py's default; the
CPU's plan runs the ablations one by one: more kernels, less arithmetic).
Budgets: those + 2%,
rounded up; issue 9's goals (12,000 / 15,000 / 20,000 and no sync in
the step) are the hard ceiling.
"""
import os.path as osp

import pytest

BUDGET = dict(none=10_244, reference=12_702, exact=17_901)
SYNC_BUDGET = dict(none=0, reference=0, exact=0)
GOALS = dict(none=12_000, reference=15_000, exact=20_000)  # issue 9

SUPERNET = dict(num_cells=8, steps=4, op_set='darts',
                alpha_mode='individual', mixing='sigmoid')


@pytest.fixture(scope='module')
def counts(repo_root):
    from mmengine.config import Config

    from mmddarts.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    from mmddarts.analysis.step_ops import count_iteration
    cfg = Config.fromfile(
        osp.join(repo_root, 'configs/search/ddarts_c10.py'))
    cfg.model['architecture'].update(SUPERNET)
    return lambda mode: count_iteration(cfg, mode, C=4, batch=2, img=16)


@pytest.mark.parametrize('mode', sorted(BUDGET))
def test_search_iteration_within_budget(counts, mode):
    res = counts(mode)
    phases = {k: (v['ops'], v['syncs']) for k, v in res['phases'].items()}
    assert res['ops'] <= min(BUDGET[mode], GOALS[mode]), (
        f'{mode}: {res["ops"]} ops > budget {BUDGET[mode]}; per phase '
        f'(ops, syncs) {phases}; top {res["top"][:8]}')
    assert res['syncs'] <= SYNC_BUDGET[mode], (
        f'{mode}: {res["syncs"]} host syncs > budget {SYNC_BUDGET[mode]}: '
        f'{res["sync_kinds"]}; per phase {phases}')
