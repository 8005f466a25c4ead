"""ArchDistanceHook / DistanceEarlyStopHook: scripted distance sequences, a
fake runner (resume through the message hub state) and a real mmengine
Runner whose tiny model's genotype is scripted per epoch."""
import json
import logging
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.runner import get_priority

from mmddarts.engine.hooks.distance_hooks import (STATE_KEY,
                                                  ArchDistanceHook,
                                                  DistanceEarlyStopHook,
                                                  get_distance_state,
                                                  stable_window)
from mmddarts.structures import Genotype

# Op scores (the default 'mean' table, the authors' op_stats.json),
# written out independently of the package.
SCORES = {
    'conv_3x1_1x3': 82.105830863444, 'conv_7x1_1x7': 83.1591640991211,
    'max_pool_3x3': 82.13416411336264, 'avg_pool_3x3': 81.56333073120116,
    'skip_connect': 81.34166406249999, 'simple_conv_1x1': 81.49166413777668,
    'simple_conv_3x3': 82.30333082275389, 'sep_conv_3x3': 83.39583075561525,
    'sep_conv_5x5': 84.97416410115558, 'dil_conv_3x3': 82.73583073323566,
    'dil_conv_5x5': 82.89249749959309, 'bottleneck_1x3x1': 82.87499756469727,
}
W = sum(SCORES.values())


def one_edge(*ops):
    """1-step, 2-cell genotype: node 2 <- 0 carries ``ops``, 2 <- 1 a skip."""
    gene = [(op, 2, 0) for op in ops] + [('skip_connect', 2, 1)]
    return Genotype(genes=[gene], seq=[0, 0], reductions=[], steps=1,
                    op_set='extended')


# Distances to START = one_edge('sep_conv_3x3') (rows {sep3}, {skip}):
# adding op o to the first edge gives rows {sep3+o, skip}; the new row's
# nearest row is {sep3} at w_o / W, so d = w_o / W in both cells.
START = one_edge('sep_conv_3x3')
G1 = one_edge('sep_conv_3x3', 'max_pool_3x3')
G2 = one_edge('sep_conv_3x3', 'dil_conv_5x5')
G3 = one_edge('sep_conv_3x3', 'sep_conv_5x5')
D1 = SCORES['max_pool_3x3'] / W
D2 = SCORES['dil_conv_5x5'] / W
D3 = SCORES['sep_conv_5x5'] / W


def hist(values, first=1):
    return [dict(epoch=first + i, to_start=v) for i, v in enumerate(values)]


# --------------------------------------------------------- stop semantics
def test_stable_window_definition():
    # 5 values within tol of the latest -> stable
    h = hist([0.5, 0.3, 0.3004, 0.2996, 0.3, 0.3005])
    assert stable_window(h, 6, tol=1e-3, patience=5)
    assert not stable_window(h, 5, tol=1e-3, patience=5)  # 0.5 in window
    # exactly tol away still counts as stable (<=)
    assert stable_window(hist([0.2, 0.201, 0.201]), 3, 1e-3, 3)
    # slow drift: each step < tol but the window spans 4 * 0.0006 > tol
    drift = hist([0.1 + 0.0006 * i for i in range(12)])
    assert not any(stable_window(drift, e, 1e-3, 5) for e in range(1, 13))
    # a missing epoch breaks the run of consecutive epochs
    gap = hist([0.2] * 3) + hist([0.2] * 3, first=5)
    assert not stable_window(gap, 6, 1e-3, 5)
    assert not stable_window(gap, 6, 1e-3, 3)  # epoch 4 not recorded
    assert stable_window(gap, 7, 1e-3, 3)


def test_should_stop_begin_epoch_and_patience():
    hook = DistanceEarlyStopHook(tol=1e-3, patience=5, begin_epoch=10)
    # constant from epoch 3: the window must hold epochs >= 10 only, so the
    # first stop is after epoch 14 (window 10..14)
    h = hist([0.0, 0.1] + [0.2] * 20)
    stops = [e for e in range(1, 23) if hook.should_stop(h, e)]
    assert stops[0] == 14
    # changing until epoch 12, then constant: 5 values from epoch 12 -> 16
    h = hist([0.01 * i for i in range(12)] + [0.11] * 10)
    assert [e for e in range(1, 23) if hook.should_stop(h, e)][0] == 16
    # never left the start (DARTOpti before alphas move): no stop by
    # default, the paper's literal rule with min_distance=None
    zeros = hist([0.0] * 15)
    assert not any(hook.should_stop(zeros, e) for e in range(1, 16))
    literal = DistanceEarlyStopHook(begin_epoch=10, min_distance=None)
    assert [e for e in range(1, 16) if literal.should_stop(zeros, e)][0] \
        == 14


def reference_stop_epoch(d, pretrain_epochs=5, epochs=55):
    """train_search.py's rule, transcribed: the metric is recorded after
    0-based epoch ``pretrain_epochs + 5`` and later; the search breaks when
    a new value is within 0.001 of each of the last 4 recorded ones.
    Returns the 1-based epoch it stops after (None: never)."""
    metrics = []
    for ep0 in range(epochs):
        if ep0 >= pretrain_epochs + 5:
            m = d[ep0 + 1]
            if len(metrics) >= 4 and all(abs(m - x) <= 0.001
                                         for x in metrics[-4:]):
                return ep0 + 1
            metrics.append(m)
    return None


@pytest.mark.parametrize('jump', [1, 6, 9, 10, 11, 12, 14, 20])
def test_default_matches_reference_rule(jump):
    """Distance 0 until epoch ``jump - 1``, then flat at 0.08 (or drifting
    by 0.0006 per epoch after a second jump): the default hook (as in the
    DARTOpti configs, min_distance=None for the paper's rule) stops at the
    same epoch as the reference loop."""
    hook = DistanceEarlyStopHook(min_distance=None)  # defaults: 1e-3, 5, 11
    for d in ({e: (0.0 if e < jump else 0.08) for e in range(1, 56)},
              {e: (0.0 if e < jump else 0.08 + 0.0006 * min(e, 30))
               for e in range(1, 56)}):
        h = [dict(epoch=e, to_start=d[e]) for e in range(1, 56)]
        ours = next((e for e in range(1, 56) if hook.should_stop(h, e)),
                    None)
        assert ours == reference_stop_epoch(d)
        assert ours is None or ours >= 15


def test_bad_arguments():
    with pytest.raises(ValueError, match='patience'):
        DistanceEarlyStopHook(patience=1)
    with pytest.raises(ValueError, match='begin_epoch'):
        DistanceEarlyStopHook(begin_epoch=0)


# ------------------------------------------------------------ fake runner
class ScriptedModel(torch.nn.Module):
    """``genotype()`` returns ``script[min(k, len-1)]`` with ``k`` the epochs
    finished so far (set by the driver / counted from train steps)."""

    def __init__(self, script):
        super().__init__()
        self.script = script
        self.k = 0
        self.calls = []

    def genotype(self, method='sparse', threshold=None):
        self.calls.append((method, threshold))
        return self.script[min(self.k, len(self.script) - 1)]


class NestedModel(torch.nn.Module):
    """The contract's other form: only ``model.architecture.genotype``."""

    def __init__(self, script):
        super().__init__()
        self.inner = ScriptedModel(script)
        self.architecture = self.inner
        self.threshold = 0.6


class FakeLoop:

    def __init__(self):
        self.stop_training = False


class FakeVisualizer:

    def __init__(self):
        self.scalars = []

    def add_scalars(self, scalars, step):
        self.scalars.append((step, dict(scalars)))


class FakeRunner:

    def __init__(self, model, hooks, work_dir, hub=None):
        self.model = model
        self.train_loop = FakeLoop()
        self.message_hub = hub or MessageHub(f'h6-{id(self)}')
        self.logger = logging.getLogger('h6-test')
        self.visualizer = FakeVisualizer()
        self.work_dir = str(work_dir)
        self.epoch = 0
        self._hooks = sorted(hooks, key=lambda h: get_priority(h.priority))

    @property
    def hooks(self):
        return self._hooks

    def call(self, name, **kw):
        for hook in self._hooks:
            getattr(hook, name)(self, **kw)

    def train(self, max_epochs):
        self.call('before_run')
        self.call('before_train')
        while self.epoch < max_epochs and not self.train_loop.stop_training:
            self.model_step()
            self.call('after_train_epoch')
            self.epoch += 1
        self.call('after_train')

    def model_step(self):
        m = self.model.inner if hasattr(self.model, 'inner') else self.model
        m.k = self.epoch + 1  # this epoch changed the architecture


def test_hook_records_distances_and_writes_files(tmp_path):
    model = ScriptedModel([START, G1, G2, G3])
    runner = FakeRunner(model, [ArchDistanceHook(threshold=0.7)], tmp_path)
    runner.train(max_epochs=5)
    state = get_distance_state(runner)
    assert state['start_source'] == 'initial architecture'
    to_start = [h['to_start'] for h in state['history']]
    assert to_start == pytest.approx([D1, D2, D3, D3, D3], abs=1e-12)
    # to previous: G1 vs START = D1; G2 vs G1: rows {sep3+dil5, skip} vs
    # {sep3+mp, skip}: the sep3+dil5 row's nearest is sep3+mp at
    # (w_dil5 + w_mp) / W (skip is at (w_sep3 + w_dil5 + w_skip) / W)
    to_prev = [h['to_prev'] for h in state['history']]
    d12 = (SCORES['dil_conv_5x5'] + SCORES['max_pool_3x3']) / W
    d23 = (SCORES['sep_conv_5x5'] + SCORES['dil_conv_5x5']) / W
    assert to_prev == pytest.approx([D1, d12, d23, 0, 0], abs=1e-12)
    assert state['history'][0]['cells_to_start'] == pytest.approx([D1, D1])
    assert all(c == ('sparse', 0.7) for c in model.calls)
    # files
    with open(tmp_path / 'arch_distance.json') as f:
        saved = json.load(f)
    assert [h['epoch'] for h in saved['history']] == [1, 2, 3, 4, 5]
    assert Genotype.from_dict(saved['start']) == START
    assert (tmp_path / 'arch_distance.png').read_bytes()[:4] == b'\x89PNG'
    assert runner.visualizer.scalars[0] == (
        1, {'arch_distance/to_start': pytest.approx(D1),
            'arch_distance/to_prev': pytest.approx(D1)})


def test_start_from_config_and_nested_contract(tmp_path):
    path = str(tmp_path / 'start.json')
    G3.save(path)
    model = NestedModel([START, G1])
    hook = ArchDistanceHook(start=path)
    runner = FakeRunner(model, [hook], tmp_path)
    runner.train(max_epochs=2)
    state = get_distance_state(runner)
    assert state['start_source'] == 'config'
    # G1 vs G3: symmetric to the d23 case with max_pool instead of dil5
    d = (SCORES['sep_conv_5x5'] + SCORES['max_pool_3x3']) / W
    assert [h['to_start'] for h in state['history']] == pytest.approx([d, d])
    assert model.inner.calls[-1] == ('sparse', 0.6)  # model's threshold
    from mmddarts.structures.baselines import get_baseline
    assert ArchDistanceHook(start='ResNet50')._start == \
        get_baseline('resnet50')
    with pytest.raises(FileNotFoundError, match='ArchDistanceHook'):
        ArchDistanceHook(start=str(tmp_path / 'missing.json'))


def test_early_stop_on_scripted_sequence(tmp_path):
    # architecture changes in epochs 1-3, then stays: distances D1 D2 D3 D3 ..
    model = ScriptedModel([START, G1, G2, G3])
    stop = DistanceEarlyStopHook(tol=1e-3, patience=3, begin_epoch=3)
    runner = FakeRunner(model, [ArchDistanceHook(), stop], tmp_path)
    runner.train(max_epochs=20)
    # |D2 - D3| > tol, so the first window of 3 equal values is epochs 3-5
    assert abs(D2 - D3) > 1e-3
    assert runner.epoch == 5 and runner.train_loop.stop_training
    state = get_distance_state(runner)
    assert state['stop']['epoch'] == 5
    assert 'stable for 3 epochs' in state['stop']['reason']
    with open(tmp_path / 'arch_distance.json') as f:
        assert json.load(f)['stop']['epoch'] == 5


def test_early_stop_needs_distance_hook(tmp_path):
    runner = FakeRunner(ScriptedModel([START]), [DistanceEarlyStopHook()],
                        tmp_path)
    with pytest.raises(RuntimeError, match='ArchDistanceHook'):
        runner.call('before_train')


def test_resume_restores_history_through_message_hub(tmp_path):
    script = [START, G1, G2, G3]
    model = ScriptedModel(script)
    runner = FakeRunner(model, [ArchDistanceHook(plot_file=None)], tmp_path)
    runner.train(max_epochs=2)
    assert not osp.exists(tmp_path / 'arch_distance.png')
    saved = runner.message_hub.state_dict()  # what a checkpoint stores
    assert STATE_KEY in saved['runtime_info']

    # a fresh process: new hub loaded from the checkpoint, resume at epoch 2
    hub = MessageHub(f'h6-resumed-{id(saved)}')
    hub.load_state_dict(saved)
    model2 = ScriptedModel(script)
    model2.k = 2
    runner2 = FakeRunner(model2, [ArchDistanceHook(plot_file=None)],
                         tmp_path, hub=hub)
    runner2.epoch = 2
    runner2.train(max_epochs=4)
    state = get_distance_state(runner2)
    assert [h['epoch'] for h in state['history']] == [1, 2, 3, 4]
    # epoch 3 compares with the restored epoch-2 architecture (G2 -> G3)
    d23 = (SCORES['sep_conv_5x5'] + SCORES['dil_conv_5x5']) / W
    assert state['history'][2]['to_prev'] == pytest.approx(d23)
    assert state['history'][3]['to_start'] == pytest.approx(D3)
    assert Genotype.from_dict(state['start']) == START


def test_resume_of_a_stopped_search_stops_at_once(tmp_path):
    model = ScriptedModel([START, G1, G2, G3])
    hooks = [ArchDistanceHook(plot_file=None),
             DistanceEarlyStopHook(tol=1e-3, patience=3, begin_epoch=3)]
    runner = FakeRunner(model, hooks, tmp_path)
    runner.train(max_epochs=20)
    hub = MessageHub(f'h6-stopped-{id(runner)}')
    hub.load_state_dict(runner.message_hub.state_dict())
    model2 = ScriptedModel([START, G1, G2, G3])
    model2.k = 5
    runner2 = FakeRunner(model2, [
        ArchDistanceHook(plot_file=None),
        DistanceEarlyStopHook(tol=1e-3, patience=3, begin_epoch=3)
    ], tmp_path, hub=hub)
    runner2.epoch = 5
    runner2.train(max_epochs=20)
    assert runner2.epoch == 5  # no further epoch trained
    assert len(get_distance_state(runner2)['history']) == 5


# ------------------------------------------------------------ real Runner
class TinySearchModel(BaseModel):
    """A linear classifier whose "architecture" follows a script, advanced
    once per epoch (counted from train steps)."""

    def __init__(self, script, iters_per_epoch):
        super().__init__()
        self.fc = torch.nn.Linear(4, 2)
        self.script = script
        self.iters_per_epoch = iters_per_epoch
        # a buffer, so a resumed run restores where the script was
        self.register_buffer('steps', torch.zeros((), dtype=torch.long))

    def forward(self, inputs, data_samples=None, mode='loss'):
        out = self.fc(inputs)
        if mode == 'loss':
            self.steps += 1
            return dict(loss=out.pow(2).mean())
        return out

    def genotype(self, method='sparse', threshold=None):
        k = int(self.steps) // self.iters_per_epoch
        return self.script[min(k, len(self.script) - 1)]


class _DS(torch.utils.data.Dataset):

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return dict(inputs=torch.full((4, ), float(i)))


def _runner(tmp_path, max_epochs, name, interval=100, **extra):
    from mmengine.runner import Runner
    loader = torch.utils.data.DataLoader(_DS(), batch_size=2)
    return Runner(
        model=TinySearchModel([START, G1, G2, G3], iters_per_epoch=2),
        work_dir=str(tmp_path),
        experiment_name=name,
        train_dataloader=loader,
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=interval)),
        custom_hooks=[
            dict(type='mmddarts.ArchDistanceHook'),
            dict(type='mmddarts.DistanceEarlyStopHook', tol=1e-3,
                 patience=3, begin_epoch=3),
        ],
        default_scope='mmddarts',
        **extra)


class _AfterTrainProbe(Hook):

    def __init__(self):
        self.called_at = None

    def after_train(self, runner):
        self.called_at = runner.epoch


def test_real_runner_stops_cleanly(tmp_path):
    runner = _runner(tmp_path, max_epochs=20, name='h6_stop')
    probe = _AfterTrainProbe()
    runner.register_hook(probe)
    runner.train()
    assert runner.train_loop.epoch == 5
    assert probe.called_at == 5  # after_train hooks still ran
    # the checkpoint interval (100) skipped epoch 5: the stop hook saved it
    assert osp.isfile(osp.join(str(tmp_path), 'epoch_5.pth'))
    with open(osp.join(str(tmp_path), 'arch_distance.json')) as f:
        saved = json.load(f)
    assert saved['stop']['epoch'] == 5
    assert [h['to_start'] for h in saved['history']] == pytest.approx(
        [D1, D2, D3, D3, D3], abs=1e-12)
    assert osp.isfile(osp.join(str(tmp_path), 'arch_distance.png'))
    ckpt = torch.load(osp.join(str(tmp_path), 'epoch_5.pth'),
                      map_location='cpu', weights_only=False)
    state = ckpt['message_hub']['runtime_info'][STATE_KEY]
    assert state['stop']['epoch'] == 5 and len(state['history']) == 5


def test_real_runner_resume_continues_history(tmp_path):
    from mmddarts.utils import register_checkpoint_loader
    register_checkpoint_loader()  # torch>=2.6 weights_only + mmengine 0.10.7
    first = _runner(tmp_path, max_epochs=3, name='h6_part1', interval=1)
    first.train()
    ckpt = osp.join(str(tmp_path), 'epoch_3.pth')
    assert get_distance_state(first)['stop'] is None
    second = _runner(tmp_path, max_epochs=20, name='h6_part2', interval=1,
                     resume=True, load_from=ckpt)
    second.train()
    assert second.train_loop.epoch == 5
    state = get_distance_state(second)
    assert [h['epoch'] for h in state['history']] == [1, 2, 3, 4, 5]
    assert [h['to_start'] for h in state['history']] == pytest.approx(
        [D1, D2, D3, D3, D3], abs=1e-12)
    # epoch 4 is compared with the restored epoch-3 architecture
    assert state['history'][3]['to_prev'] == 0.0
    assert Genotype.from_dict(state['start']) == START
    assert state['stop']['epoch'] == 5


def test_with_the_real_search_model(tmp_path):
    """The hook against DDartsSearch (the model contract), DARTOpti-style:
    alphas start at 10 on a genotype's ops and 0 elsewhere."""
    pytest.importorskip('mmpretrain')
    from mmddarts.models.algorithms import DDartsSearch
    from mmddarts.structures.distance import num_cell_edges
    gene = [('sep_conv_3x3', 2, 0), ('skip_connect', 2, 1),
            ('bottleneck_1x3x1', 3, 2), ('max_pool_3x3', 3, 0)]
    start = Genotype(genes=[gene] * 3, seq=[0, 1, 2], reductions=[1, 2],
                     steps=2, op_set='extended')

    def edge(to, src):  # node by node: 2<-0, 2<-1, 3<-0, 3<-1, 3<-2
        return num_cell_edges(to - 2) + src

    from mmddarts.structures import EXTENDED_OPS
    alphas = []
    for _ in range(3):
        a = torch.zeros(num_cell_edges(2), len(EXTENDED_OPS))
        for op, to, src in gene:
            a[edge(to, src), EXTENDED_OPS.index(op)] = 10.0
        alphas.append(a)
    torch.manual_seed(0)
    model = DDartsSearch(
        architecture=dict(type='mmddarts.DDartsSupernet', num_classes=3,
                          channels=4, num_cells=3, steps=2, op_set='extended',
                          init_alphas=alphas),
        arch_strategy=dict(type='mmddarts.LeaveOneOutArchStep', w01=7.0,
                           w_abl=0.0, ablation='none'))
    runner = FakeRunner(model, [ArchDistanceHook(start=start,
                                                 plot_file=None)], tmp_path)
    runner.call('before_train')
    runner.call('after_train_epoch')  # alphas untouched: the baseline
    # cell 1 learns: max_pool 3<-0 fades, dil_conv_5x5 3<-1 appears
    with torch.no_grad():
        owner = model.arch_parameters()[1]
        owner[edge(3, 0), EXTENDED_OPS.index('max_pool_3x3')] = 0.0
        owner[edge(3, 1), EXTENDED_OPS.index('dil_conv_5x5')] = 10.0
    runner.epoch = 1
    runner.call('after_train_epoch')
    hist_ = get_distance_state(runner)['history']
    assert hist_[0]['to_start'] == 0.0
    # cell 1: max_pool row vs nearest (empty) w_mp/W, dil5 row w_dil5/W
    cell = max(SCORES['max_pool_3x3'], SCORES['dil_conv_5x5']) / W
    assert hist_[1]['cells_to_start'] == pytest.approx([0, cell, 0])
    assert hist_[1]['to_start'] == pytest.approx(cell / 3)
    assert hist_[1]['to_prev'] == pytest.approx(cell / 3)


def test_real_runner_resume_after_stop_keeps_the_stop_record(tmp_path):
    """With interval=1 CheckpointHook (VERY_LOW) writes epoch_5.pth before
    the stop hook (LOWEST) records the stop, so the checkpoint holds no
    stop; a --resume from it must stop at once and still report the stop
    (arch_distance.json, message hub) instead of erasing it."""
    from mmddarts.utils import register_checkpoint_loader
    register_checkpoint_loader()  # torch>=2.6 weights_only + mmengine 0.10.7
    first = _runner(tmp_path, max_epochs=20, name='h6_stop1', interval=1)
    first.train()
    assert first.train_loop.epoch == 5
    ckpt = osp.join(str(tmp_path), 'epoch_5.pth')
    saved = torch.load(ckpt, map_location='cpu', weights_only=False)
    assert saved['message_hub']['runtime_info'][STATE_KEY]['stop'] is None
    first_stop = get_distance_state(first)['stop']

    second = _runner(tmp_path, max_epochs=20, name='h6_stop2', interval=1,
                     resume=True, load_from=ckpt)
    second.train()
    assert second.train_loop.epoch == 5  # nothing trained
    assert get_distance_state(second)['stop'] == first_stop
    with open(osp.join(str(tmp_path), 'arch_distance.json')) as f:
        assert json.load(f)['stop'] == first_stop
