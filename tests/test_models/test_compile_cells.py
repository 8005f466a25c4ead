"""torch.compile of the search and derived cells (compile_cells).

- ``torch._dynamo.explain`` finds ZERO graph breaks in a search cell called
  as the supernet calls it (``cell(s0, s1, weights)``, full pass and
  ablation pass) and in a derived cell (with a tensor drop-path rate);
- a toy search trained with ``model.architecture.compile`` gives the losses,
  alphas and weights of an eager twin within float32 rounding, and compiles
  nothing new after its first step (ablation passes with fresh random op
  weights included), nor after the first step of a mode switch;
- a compiled derived network matches its eager run and keeps one graph per
  cell for every drop-path rate (DropPathHook changes it every epoch);
- mmengine's own ``cfg.compile`` is turned into cell compilation.

The backend is ``aot_eager`` (dynamo + AOT autograd, eager kernels): the
graphs and their backward are the ones inductor would get, without its
C++ compile time. Tolerance: 1e-5 of each tensor's largest magnitude on
float32 values (AOT autograd's decomposed BatchNorm backward rounds
differently from the fused eager kernel; measured: at most ~8e-7 after 3
steps).
"""
import os.path as osp
import types

import pytest
import torch
import torch._dynamo as dynamo

pytest.importorskip('mmpretrain')

from mmddarts.engine.loops.runner_compile import \
    adopt_runner_compile  # noqa: E402
from mmddarts.models.algorithms import DDartsSearch  # noqa: E402
from mmddarts.models.arch_steps import LeaveOneOutArchStep  # noqa: E402
from mmddarts.models.backbones.ddarts_net import DDartsNet  # noqa: E402
from mmddarts.models.derived_cell import drop_path  # noqa: E402
from mmddarts.models.search.compile_cells import (  # noqa: E402
    compile_options, is_compiled)
from mmddarts.testing.compile_toys import (TOY_NET, CountingBackend,  # noqa
                                           make_search, run_search,
                                           search_batches)

RTOL, ATOL = 1e-5, 1e-6
GENOTYPE = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))), 'configs', 'genotypes', 'darts-v2.json')


@pytest.fixture(autouse=True)
def fresh_dynamo():
    dynamo.reset()
    yield
    dynamo.reset()


def assert_no_graph_break(fn, *args):
    ex = dynamo.explain(fn)(*args)
    assert ex.graph_break_count == 0, ex.break_reasons
    assert ex.graph_count == 1


def close(a, b):
    """Equal up to RTOL of ``b``'s largest magnitude (gradients reach 1e4
    on the toy net; elementwise rtol fails where values cancel)."""
    return bool((a - b).abs().max() <= RTOL * b.abs().max() + ATOL)


# ------------------------------------------------------------- options
def test_compile_options():
    assert compile_options(None) is None and compile_options(False) is None
    assert compile_options(True) == {}
    assert compile_options(dict(disable=True)) is None
    opts = dict(backend='aot_eager', mode=None, dynamic=False)
    assert compile_options(opts) == opts
    with pytest.raises(ValueError, match=r"model.architecture.compile.*"
                                         r"\['modes'\]"):
        compile_options(dict(modes='max-autotune'),
                        'model.architecture.compile')
    with pytest.raises(TypeError, match='model.architecture.compile must'):
        DDartsSearch(architecture=dict(TOY_NET, compile='yes'))


def test_compiled_supernet_keeps_its_state_dict_keys():
    eager = make_search()
    compiled = make_search(compile=dict(backend='eager'))
    assert compiled.compile_options == dict(backend='eager')
    assert all(is_compiled(c) for c in compiled.architecture.cells)
    assert eager.compile_options is None
    assert list(compiled.state_dict()) == list(eager.state_dict())
    assert dynamo.config.recompile_limit >= 16 * len(
        compiled.architecture.cells)


# -------------------------------------------------------- graph breaks
def test_search_cell_forward_has_no_graph_break():
    # cell 1 reduces after a reduction: FactorizedReduce preprocessing and
    # stride-2 edges; 2 nodes (a node with 3 inputs)
    net = make_search(reductions=(0, 1)).architecture.train()
    x = torch.randn(2, 3, 8, 8)
    s = net.stem_forward(x)
    weights = net.position_weights()
    s1 = net.cells[0](s, s, weights[0])
    cell = net.cells[1]
    assert_no_graph_break(cell, s, s1, weights[1])  # full pass
    # ablation pass: random op weights, BN statistics frozen, no grad
    rnd = net.draw_ablation_weights(1)[0]
    bns = [m for m in cell.modules()
           if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.track_running_stats = False
    try:
        with torch.no_grad():
            assert_no_graph_break(cell, s.detach(), s1.detach(), rnd)
    finally:
        for m in bns:
            m.track_running_stats = True


@pytest.mark.parametrize('mode', ['node', 'edge'])
def test_derived_cell_forward_has_no_graph_break(mode):
    net = DDartsNet(GENOTYPE, channels=4, num_cells=3, aux_index=None,
                    drop_path_mode=mode).train()
    assert net.genotype.reductions == (1, 2)
    cell = net.cells[2]  # reduction after a reduction
    s0 = torch.randn(2, net.out_channels[0], 8, 8)
    s1 = torch.randn(2, net.out_channels[1], 4, 4)
    assert_no_graph_break(cell, s0, s1, torch.tensor(0.2))
    assert_no_graph_break(cell, s0, s1, 0.)


# ------------------------------------------- training, recompilations
def test_compiled_search_matches_eager_and_stops_recompiling():
    counter = CountingBackend('aot_eager')
    steps1 = dict(steps=1)  # compile time on a 2-core CI
    eager = make_search(**steps1)
    compiled = make_search(compile=dict(backend=counter), **steps1)
    batches = search_batches(5)
    graphs = []
    logs_e = run_search(eager, batches[:3])
    logs_c = run_search(compiled, batches[:3],
                        lambda i: graphs.append(counter.graphs))
    # warm-up in step 0; steps 1 and 2 (new random ablation weights, new
    # data) reuse its graphs
    assert graphs[0] > 0 and graphs[2] == graphs[0], graphs
    # 'reference' ablations run without grad: new graphs once, then none
    for model in (eager, compiled):
        model.arch_strategy = LeaveOneOutArchStep(ablation='reference')
    logs_e += run_search(eager, batches[3:])
    logs_c += run_search(compiled, batches[3:],
                         lambda i: graphs.append(counter.graphs))
    assert graphs[4] == graphs[3], graphs
    for le, lc in zip(logs_e, logs_c):
        assert set(le) == set(lc)
        for key in le:
            assert lc[key] == pytest.approx(le[key], rel=RTOL, abs=ATOL), key
    for pe, pc in zip(eager.parameters(), compiled.parameters()):
        assert close(pc, pe)
    for (name, be), bc in zip(eager.named_buffers(), compiled.buffers()):
        assert close(bc.double(), be.double()), name


def test_compiled_derived_net_matches_eager_for_every_drop_rate():
    counter = CountingBackend('aot_eager')
    torch.manual_seed(0)
    net = DDartsNet(GENOTYPE, channels=4, num_cells=3, aux_index=None,
                    drop_path_mode='edge',
                    compile=dict(backend=counter)).train()
    x = torch.randn(4, 3, 8, 8)

    def run(seed):
        torch.manual_seed(seed)
        out = net(x)[0]
        grads = torch.autograd.grad(out.square().sum(), net.parameters(),
                                    allow_unused=True)
        return out, grads

    graphs = []
    for step, rate in enumerate((0.1, 0.2, 0.3, 0.)):
        net.drop_path_prob = rate
        out, grads = run(step)
        graphs.append(counter.graphs)
        with torch.compiler.set_stance('force_eager'):
            ref, ref_grads = run(step)
        assert counter.graphs == graphs[-1]
        assert close(out, ref), rate
        for g, r in zip(grads, ref_grads):
            assert (g is None) == (r is None)
            assert g is None or close(g, r)
    # one graph per cell for every rate > 0; rate 0 skips drop path
    assert graphs[0] == graphs[2] > 0, graphs


def test_drop_path_tensor_rate():
    torch.manual_seed(0)
    x = torch.rand(4000, 2, 1, 1) + 1.
    rate = 0.3
    y = drop_path(x, torch.tensor(rate))
    dropped = (y == 0).all(dim=1).flatten()
    # whole samples: zero, or x / (1 - rate)
    kept = ~dropped
    assert torch.allclose(y[kept], x[kept] / (1 - rate))
    # binomial(4000, 0.3): sd = 29 samples
    assert abs(int(dropped.sum()) - 0.3 * 4000) < 4 * 29
    assert torch.equal(drop_path(x, torch.tensor(0.)), x)


# --------------------------------------------- mmengine's cfg.compile
def test_runner_compile_config_compiles_the_cells():
    from mmengine.runner import Runner
    model = make_search()
    runner = types.SimpleNamespace(
        cfg=dict(compile=dict(backend='eager')), model=model,
        logger=types.SimpleNamespace(info=lambda msg: None))
    Runner._maybe_compile(runner, 'train_step')  # what Runner.train does
    assert 'train_step' in vars(model)
    assert adopt_runner_compile(runner) == dict(backend='eager')
    assert 'train_step' not in vars(model)  # eager step again
    assert all(is_compiled(c) for c in model.architecture.cells)
    assert model.compile_options == dict(backend='eager')
    with pytest.raises(ValueError, match='both set'):
        adopt_runner_compile(runner)
    runner.cfg = dict(compile=False)
    assert adopt_runner_compile(runner) is None
    runner.cfg, runner.model = dict(compile=True), torch.nn.Linear(2, 2)
    with pytest.raises(TypeError, match='no architecture.cells'):
        adopt_runner_compile(runner)
