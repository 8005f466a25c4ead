"""Architecture-distance tracking and distance-based early stop of a search.

``ArchDistanceHook`` parses the model's genotype after every training epoch
and records its distance (:mod:`mmddarts.structures.distance`) to the starting
architecture and to the previous epoch's. ``DistanceEarlyStopHook`` ends the
search once that distance stops moving (paper section 5.4).

State lives in the runner's message hub under :data:`STATE_KEY` (marked
resumable), so it is saved in every checkpoint and restored by ``--resume``,
and other hooks can read it::

    state = runner.message_hub.get_info('arch_distance')
    state['history'][-1]['to_start']

``history`` holds one entry per finished epoch: ``epoch`` (1-based, counting
every epoch of the loop, w-only pretraining epochs included), ``to_start``,
``to_prev`` and ``cells_to_start`` (per cell position).

Model contract: the model (``model.module`` under a wrapper such as DDP) has
``genotype(method=..., threshold=...)``, or ``architecture.genotype(...)``,
returning a :class:`~mmddarts.structures.Genotype`.
"""
import copy
import json
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmengine.model import is_model_wrapper

from mmddarts.registry import HOOKS
from mmddarts.structures import Genotype
from mmddarts.structures.distance import ALIGN_MODES, OpScores, cell_distances
from mmddarts.structures.loading import genotype_from_any
from mmddarts.utils.file_io import atomic_write_text
from mmddarts.utils.rank_agreement import broadcast_from_rank0

STATE_KEY = 'arch_distance'


def get_distance_state(runner):
    """The :class:`ArchDistanceHook` state of ``runner`` (``None`` before
    the hook has started)."""
    return runner.message_hub.get_info(STATE_KEY)


def _set_state(runner, state):
    # get_info hands out the stored object: store a copy so later edits of
    # ``state`` cannot leak into a checkpoint being written.
    runner.message_hub.update_info(STATE_KEY, copy.deepcopy(state),
                                   resumed=True)


def plot_distance_history(history, path, stop=None, title=None):
    """Write the distance curves (to start, to previous epoch) as a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(6.4, 4.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    epochs = [h['epoch'] for h in history]
    ax.plot(epochs, [h['to_start'] for h in history], marker='o',
            markersize=3, label='to start')
    ax.plot(epochs, [h['to_prev'] for h in history], marker='.',
            markersize=3, linestyle='--', label='to previous epoch')
    if stop is not None:
        ax.axvline(stop['epoch'], color='crimson', linestyle=':',
                   label=f'early stop (epoch {stop["epoch"]})')
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel('epoch')
    ax.set_ylabel('architecture distance')
    ax.set_title(title or 'Architecture distance during search')
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc='best', fontsize=8)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)


@HOOKS.register_module()
class ArchDistanceHook(Hook):
    """Track the architecture distance of a search, epoch by epoch.

    Args:
        start (str | dict | Genotype, optional): the reference architecture
            (for DARTOpti: the handcrafted baseline): a genotype file, a
            baseline name (``'resnet18'``, ``'resnet50'``, ``'xception'``),
            a dict or a Genotype. ``None``: the genotype the model parses
            before the first training epoch (its initial architecture; for
            DARTOpti, whose alphas start on the baseline's ops, the
            baseline itself).
        method (str): parsing method passed to the model (``'sparse'``).
        threshold (float, optional): parsing threshold; ``None``: the
            model's ``threshold`` attribute, else 0.85.
        scores (str | dict, optional): op scores: ``'mean'`` (default, the
            authors' ``op_stats.json``), ``'median'`` (the paper's Table 1),
            a JSON file or a dict; see :mod:`mmddarts.structures.distance`.
        align (str): ``'pad'``, ``'expand'`` or ``'truncate'``, see
            :mod:`mmddarts.structures.distance`.
        out_dir (str, optional): where the JSON and PNG go (work dir).
        json_file (str): history file name.
        plot_file (str): curve file name; ``None`` disables the plot.
    """
    priority = 'NORMAL'

    def __init__(self,
                 start=None,
                 method='sparse',
                 threshold=None,
                 scores=None,
                 align='pad',
                 out_dir=None,
                 json_file='arch_distance.json',
                 plot_file='arch_distance.png'):
        if align not in ALIGN_MODES:
            raise ValueError(f'ArchDistanceHook: align must be one of '
                             f'{ALIGN_MODES}, got {align!r}')
        self.start_cfg = start
        self.method = method
        self.threshold = threshold
        self.scores = OpScores.from_any(scores)
        self.align = align
        self.out_dir = out_dir
        self.json_file = json_file
        self.plot_file = plot_file
        # fail at build time, not after the first epoch, on a bad start
        self._start = None if start is None else self._load_start(start)

    @staticmethod
    def _load_start(start):
        if isinstance(start, str) and not osp.exists(start):
            from mmddarts.structures.baselines import (BASELINE_NAMES,
                                                       get_baseline)
            if start.lower() in BASELINE_NAMES:
                return get_baseline(start)
        try:
            return genotype_from_any(start)
        except (TypeError, ValueError, FileNotFoundError) as err:
            raise type(err)(f'ArchDistanceHook: start genotype: {err}') \
                from None

    # ------------------------------------------------------------ helpers
    def current_genotype(self, runner):
        model = runner.model
        model = model.module if is_model_wrapper(model) else model
        threshold = self.threshold
        if threshold is None:
            threshold = getattr(model, 'threshold', None)
        if threshold is None:
            threshold = 0.85
        if hasattr(model, 'genotype'):
            fn = model.genotype
        elif hasattr(getattr(model, 'architecture', None), 'genotype'):
            fn = model.architecture.genotype
        else:
            raise AttributeError(
                f'ArchDistanceHook: {type(model).__name__} has neither '
                '.genotype(method, threshold) nor '
                '.architecture.genotype(method, threshold)')
        return genotype_from_any(fn(method=self.method, threshold=threshold))

    def _cells(self, a, b):
        return cell_distances(a, b, self.scores, self.align)

    def _paths(self, runner):
        out = self.out_dir or runner.work_dir
        plot = None if self.plot_file is None else osp.join(
            out, self.plot_file)
        return osp.join(out, self.json_file), plot

    # -------------------------------------------------------------- hooks
    def before_train(self, runner):
        state = get_distance_state(runner)
        if state is not None:
            # resumed: forget epochs this run will redo
            state['history'] = [h for h in state['history']
                                if h['epoch'] <= runner.epoch]
            if state.get('stop') and state['stop']['epoch'] > runner.epoch:
                state['stop'] = None
            _set_state(runner, state)
            runner.logger.info(
                f'ArchDistanceHook: resumed with {len(state["history"])} '
                f'recorded epochs (start: {state["start_source"]})')
            return
        current = self.current_genotype(runner)
        if self._start is not None:
            start, source = self._start, 'config'
        elif runner.epoch == 0:
            start, source = current, 'initial architecture'
        else:
            # resumed from a checkpoint written without this hook
            start, source = current, f'architecture at epoch {runner.epoch}'
            runner.logger.warning(
                'ArchDistanceHook: no distance state in the checkpoint; '
                f'distances are measured from the epoch-{runner.epoch} '
                'architecture')
        _set_state(runner, dict(
            start=start.to_dict(), start_source=source,
            last=current.to_dict(), history=[], stop=None,
            method=self.method, scores=self.scores.source, align=self.align))

    def after_train_epoch(self, runner):
        state = get_distance_state(runner)
        current = self.current_genotype(runner)
        start = Genotype.from_dict(state['start'], source='distance start')
        last = Genotype.from_dict(state['last'], source='distance last')
        cells = self._cells(start, current)
        entry = dict(
            epoch=runner.epoch + 1,
            to_start=float(cells.mean()),
            to_prev=float(self._cells(last, current).mean()),
            cells_to_start=[float(c) for c in cells])
        state['history'].append(entry)
        state['last'] = current.to_dict()
        _set_state(runner, state)
        runner.logger.info(
            f'arch distance after epoch {entry["epoch"]}: to start '
            f'{entry["to_start"]:.4f}, to previous epoch '
            f'{entry["to_prev"]:.4f}; per cell to start: ' +
            ' '.join(f'{c:.3f}' for c in entry['cells_to_start']))
        if is_main_process():
            runner.visualizer.add_scalars(
                {'arch_distance/to_start': entry['to_start'],
                 'arch_distance/to_prev': entry['to_prev']},
                step=entry['epoch'])
        self.write_outputs(runner)

    def after_train(self, runner):
        self.write_outputs(runner)

    def write_outputs(self, runner):
        """Write ``arch_distance.json`` and the curve PNG (main process)."""
        state = get_distance_state(runner)
        if state is None or not is_main_process():
            return
        json_path, plot_path = self._paths(runner)
        record = {k: state[k] for k in (
            'start_source', 'method', 'scores', 'align', 'stop', 'history',
            'start')}
        atomic_write_text(json_path, json.dumps(record, indent=1) + '\n')
        if plot_path is not None and state['history']:
            plot_distance_history(state['history'], plot_path,
                                  stop=state.get('stop'))


def stable_window(history, epoch, tol, patience):
    """Whether the distance to start was stable at ``epoch``.

    Stable means: the values of the ``patience`` consecutive epochs
    ``epoch - patience + 1 .. epoch`` all exist and all lie within ``tol``
    of the latest one, ``|d_epoch - d_k| <= tol``. With the defaults
    (``patience=5``) this is the paper's "stable for 5 consecutive epochs",
    i.e. ``|d - d_k| <= 0.001`` for the 4 values before ``d``.
    """
    by_epoch = {h['epoch']: h['to_start'] for h in history}
    window = [by_epoch.get(e) for e in range(epoch - patience + 1, epoch + 1)]
    if any(v is None for v in window):
        return False
    latest = window[-1]
    # a hair of slack so a difference of exactly ``tol`` written as decimals
    # is not lost to binary rounding
    return all(abs(latest - v) <= tol + 1e-12 for v in window)


@HOOKS.register_module()
class DistanceEarlyStopHook(Hook):
    """End the search once the architecture distance to the start is stable.

    Distances count from epoch ``begin_epoch`` on (1-based, all epochs of
    the loop including w-only pretraining ones). After epoch ``e`` the
    search stops when :func:`stable_window` holds: the distances to the
    start of epochs ``e - patience + 1 .. e`` are all within ``tol`` of
    ``d_e``, and that window lies entirely at or after ``begin_epoch``, so
    the earliest stop is after epoch ``begin_epoch + patience - 1``.

    This is the reference's rule (``train_search.py``): it records the
    distance from 0-based epoch ``pretrain_epochs + 5`` on (1-based
    ``pretrain_epochs + 6`` = 11, the default ``begin_epoch``) and stops when
    a value lies within ``tol`` of the 4 recorded before it, i.e. at the
    earliest after 1-based epoch 15 with ``patience=5``.

    Stopping works like mmengine's ``EarlyStoppingHook``: it sets
    ``runner.train_loop.stop_training``, so the loop leaves after this epoch
    (validation included) and the ``after_train`` / ``after_run`` hooks run
    as usual (final genotypes, curves). This hook runs last
    (``priority='LOWEST'``); if no :class:`~mmengine.hooks.CheckpointHook`
    saved this epoch, it asks that hook to save it (``save_checkpoint``), so
    the stopped search can be resumed or exported. A resumed run re-checks
    the restored history first and stops at once if it is already stable,
    recording the stop again (a checkpoint written by ``CheckpointHook`` in
    the stop epoch predates the record).

    One guard beyond the paper: the latest distance must exceed
    ``min_distance`` (0 by default), i.e. the architecture must have left
    the start. In DARTOpti the alphas start saturated on the baseline's ops
    (alpha = 10) and the w-only pretraining epochs keep them there, so the
    parsed architecture can sit exactly on the baseline (d = 0) for many
    epochs; the paper's rule alone would then end the search before it
    changed anything. ``min_distance=None`` restores the paper's rule.

    Needs an :class:`ArchDistanceHook` in the same runner.

    Args:
        tol (float): stability tolerance (0.001).
        patience (int): consecutive stable epochs (5).
        begin_epoch (int): first epoch (1-based) whose distance enters the
            stability window (11, the reference's ``pretrain_epochs + 6``).
        min_distance (float, optional): the latest distance to the start
            must be above it to stop (0.0); ``None``: no such condition.
        save_checkpoint (bool): save the stop epoch's checkpoint if the
            checkpoint hook's interval skipped it.
    """
    priority = 'LOWEST'

    def __init__(self, tol=1e-3, patience=5, begin_epoch=11,
                 min_distance=0.0, save_checkpoint=True):
        if tol < 0:
            raise ValueError(f'DistanceEarlyStopHook: tol must be >= 0, '
                             f'got {tol}')
        if not isinstance(patience, int) or patience < 2:
            raise ValueError('DistanceEarlyStopHook: patience must be an '
                             f'integer >= 2 (epochs compared), got '
                             f'{patience!r}')
        if not isinstance(begin_epoch, int) or begin_epoch < 1:
            raise ValueError('DistanceEarlyStopHook: begin_epoch must be a '
                             f'positive integer, got {begin_epoch!r}')
        self.tol = tol
        self.patience = patience
        self.begin_epoch = begin_epoch
        self.min_distance = min_distance
        self.save_checkpoint = save_checkpoint

    def should_stop(self, history, epoch):
        # the whole window, not only its last epoch, must be counted
        if epoch - self.patience + 1 < self.begin_epoch or not stable_window(
                history, epoch, self.tol, self.patience):
            return False
        if self.min_distance is None:
            return True
        latest = next(h['to_start'] for h in history if h['epoch'] == epoch)
        return latest > self.min_distance

    def before_train(self, runner):
        # checked here, not in before_run: val/test runs call before_run too
        # and must not build a train loop
        if not hasattr(runner.train_loop, 'stop_training'):
            raise TypeError(
                'DistanceEarlyStopHook: the train loop '
                f'{type(runner.train_loop).__name__} has no `stop_training` '
                'flag (use an EpochBasedTrainLoop)')
        if not any(isinstance(h, ArchDistanceHook) for h in runner.hooks):
            raise RuntimeError(
                'DistanceEarlyStopHook needs an ArchDistanceHook in '
                'custom_hooks: it stops on the distances that hook records')
        state = get_distance_state(runner)
        stop = bool(state and state['history'] and self.should_stop(
            state['history'], runner.epoch))
        stop, state = self._agree(runner, stop, state)
        if stop:
            runner.train_loop.stop_training = True
            runner.logger.info(
                f'DistanceEarlyStopHook: the restored distances are already '
                f'stable at epoch {runner.epoch}; not training further')
            if not state.get('stop'):
                # The checkpoint of the stop epoch is usually written by
                # CheckpointHook (VERY_LOW) before this hook (LOWEST) records
                # the stop: record it again so the outputs keep it.
                state['stop'] = dict(
                    epoch=runner.epoch,
                    reason=self._reason(state['history'], runner.epoch))
                _set_state(runner, state)

    @staticmethod
    def _agree(runner, stop, state):
        """Rank 0's decision and distance state, on every rank: a rank that
        stopped alone would leave the others waiting in the next epoch's
        collectives until the process-group timeout."""
        stop, state = broadcast_from_rank0((bool(stop), state))
        if state is not None:
            _set_state(runner, state)
        return stop, state

    def _reason(self, history, epoch):
        window = [h['to_start'] for h in history
                  if epoch - self.patience < h['epoch'] <= epoch]
        return (f'architecture distance to the start stable for '
                f'{self.patience} epochs (epochs {epoch - self.patience + 1}'
                f'-{epoch}: ' + ', '.join(f'{d:.4f}' for d in window) +
                f'; all within tol={self.tol} of {window[-1]:.4f})')

    def after_train_epoch(self, runner):
        state = get_distance_state(runner)
        epoch = runner.epoch + 1
        stop = state is not None and self.should_stop(state['history'],
                                                      epoch)
        stop, state = self._agree(runner, stop, state)
        if not stop:
            return
        reason = self._reason(state['history'], epoch)
        state['stop'] = dict(epoch=epoch, reason=reason)
        _set_state(runner, state)
        runner.train_loop.stop_training = True
        runner.logger.info(f'DistanceEarlyStopHook: stopping the search '
                           f'after epoch {epoch}: {reason}')
        if self.save_checkpoint:
            self._save_stop_checkpoint(runner)
        for hook in runner.hooks:
            if isinstance(hook, ArchDistanceHook):
                hook.write_outputs(runner)  # mark the stop on the curve

    @staticmethod
    def _save_stop_checkpoint(runner):
        for hook in runner.hooks:
            if not isinstance(hook, CheckpointHook) or not hook.by_epoch:
                continue
            saved = hook.every_n_epochs(runner, hook.interval,
                                        hook.save_begin) or (
                hook.save_last and hook.is_last_train_epoch(runner))
            if not saved:
                runner.logger.info(
                    f'DistanceEarlyStopHook: saving the checkpoint of epoch '
                    f'{runner.epoch + 1} (the last of this search)')
                hook._save_checkpoint(runner)
