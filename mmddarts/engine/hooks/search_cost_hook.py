"""What a search costs: ``search_cost.json`` and a table at the end.

:class:`SearchCostHook` installs a :class:`StepTimer` in the model
(``DDartsSearch.train_step`` times preprocessing, the architecture step and
the weight step) and in the loop (``SearchEpochBasedTrainLoop`` times data
loading, whole iterations and the epoch hooks), times validation itself and
turns the totals into:

- ``wall_time_s`` (from ``before_run``; the slowest rank), ``device_hours``
  and ``gpu_days`` = world size x wall time (on CPU the same figures count
  CPU processes), the device names (``devices``: name -> processes);
- ``time_split_s``: ``data`` (loader + data preprocessor), ``arch_step``,
  ``weight_step``, ``validation``, ``hooks`` (iteration and epoch hooks,
  checkpoints included) and ``other`` (the rest of the wall time: building
  loops, loading a checkpoint, before/after-train hooks); averaged over
  ranks;
- ``images_per_s`` of the weight and the architecture step (images of all
  ranks / mean step seconds);
- ``peak_memory_mb``: CUDA ``max_memory_allocated`` or, on CPU, the peak
  RSS of the process, max over ranks (``peak_memory_per_rank_mb`` lists
  them);
- ``ablation_overhead`` = architecture step seconds / weight step seconds;
- ``epochs_run``, ``max_epochs``, ``early_stop_epoch`` (``null`` unless the
  search stopped early) and ``sessions`` (1 + resumes).

The file is rewritten after every training epoch (cumulative, ``final``:
false; that epoch's validation shows from the next write on) and at the end
of training (``final``: true). The totals are saved in every checkpoint
(``checkpoint['search_cost']``), so ``--resume`` continues them; time spent
after the last checkpoint of an interrupted run is not counted.
"""
import json
import os.path as osp
import resource
import sys
import time
from collections import Counter

import torch
from mmengine.dist import (all_gather_object, all_reduce, get_world_size,
                           is_main_process)
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmddarts.models.algorithms.step_timer import StepTimer
from mmddarts.registry import HOOKS
from mmddarts.utils.file_io import atomic_write_text
from .distance_hooks import get_distance_state

CKPT_KEY = 'search_cost'
SPLIT_KEYS = ('data', 'arch_step', 'weight_step', 'validation', 'hooks',
              'other')


def _device_name(device):
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return 'CPU: ' + line.split(':', 1)[1].strip()
    except OSError:
        pass
    import platform
    return 'CPU: ' + (platform.processor() or platform.machine())


def peak_memory_bytes(device):
    """CUDA ``max_memory_allocated`` of ``device``, or this process' peak
    resident set size on CPU."""
    if device.type == 'cuda':
        return int(torch.cuda.max_memory_allocated(device))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == 'darwin' else rss * 1024)  # Linux: KiB


@HOOKS.register_module()
class SearchCostHook(Hook):
    """Search cost report (see the module docstring).

    Args:
        out_file (str): file name in the work dir. Defaults to
            ``'search_cost.json'``.
        sync_cuda (bool): on CUDA, time the steps with CUDA events (their
            device time, read once per epoch; the host never waits for the
            device in a step); False: host clock only. Defaults to True.
    """
    # after the genotype / distance / early-stop hooks (NORMAL) of an epoch,
    # before the CheckpointHook (VERY_LOW) that saves the totals
    priority = 'LOW'

    def __init__(self, out_file='search_cost.json', sync_cuda=True):
        self.out_file = out_file
        self.sync_cuda = sync_cuda
        self.base = None  # totals restored from a checkpoint
        self.snapshot = None  # last reduced totals
        self._devices = None

    # ------------------------------------------------------------ set-up
    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_run(self, runner):
        self.start = time.perf_counter()
        self.val_seconds = 0.
        self.timer = StepTimer(sync_cuda=self.sync_cuda)
        self._model(runner).step_timer = self.timer

    def before_train(self, runner):
        loop = runner.train_loop
        if hasattr(loop, 'step_timer'):
            loop.step_timer = self.timer
        else:
            runner.logger.warning(
                f'SearchCostHook: {type(loop).__name__} does not time data '
                'loading and hooks (use mmddarts.SearchEpochBasedTrainLoop); '
                'they are counted as "other"')

    def after_load_checkpoint(self, runner, checkpoint):
        if getattr(runner, '_resume', False) or runner.cfg.get('resume'):
            self.base = checkpoint.get(CKPT_KEY)

    def before_val(self, runner):
        self._val_start = time.perf_counter()

    def after_val(self, runner):
        start = getattr(self, '_val_start', None)
        if start is not None:
            self.val_seconds += time.perf_counter() - start
            self._val_start = None

    # ------------------------------------------------------------ totals
    def _device(self, runner):
        param = next(self._model(runner).parameters(), None)
        return param.device if param is not None else torch.device('cpu')

    def _local(self, runner):
        """This rank's seconds and counts of this session."""
        sec, img = self.timer.seconds, self.timer.images
        steps = sec['preprocess'] + sec['arch'] + sec['weights']
        hooks = max(sec['iter'] - steps, 0.) + sec['epoch_hooks']
        return dict(
            wall=time.perf_counter() - self.start,
            data=sec['data'] + sec['preprocess'],
            arch_step=sec['arch'],
            weight_step=sec['weights'],
            validation=self.val_seconds,
            hooks=hooks,
            arch_images=img['arch'],
            weight_images=img['weights'])

    def totals(self, runner, epochs_run, final=False):
        """Totals over ranks and sessions (collective: every rank calls)."""
        device = self._device(runner)
        if self._devices is None:
            self._devices = all_gather_object(_device_name(device))
        local = self._local(runner)
        keys = list(local)
        vec = torch.tensor([local[k] for k in keys], dtype=torch.float64)
        world = get_world_size()
        summed = vec.clone()
        all_reduce(summed, op='sum')
        slowest = vec.clone()
        all_reduce(slowest, op='max')
        peak = all_gather_object(peak_memory_bytes(device))
        tot = {k: float(summed[i]) / world for i, k in enumerate(keys)}
        tot['wall'] = float(slowest[keys.index('wall')])
        for k in ('arch_images', 'weight_images'):
            tot[k] = int(round(float(summed[keys.index(k)])))
        base = self.base or {}
        bsplit = base.get('time_split_s', {})
        wall = base.get('wall_time_s', 0.) + tot['wall']
        split = {k: bsplit.get(k, 0.) + tot.get(k, 0.)
                 for k in SPLIT_KEYS if k != 'other'}
        split['other'] = bsplit.get('other', 0.) + max(
            tot['wall'] - sum(tot[k] for k in split), 0.)
        images = dict(
            weight_step=base.get('images', {}).get('weight_step', 0) +
            tot['weight_images'],
            arch_step=base.get('images', {}).get('arch_step', 0) +
            tot['arch_images'])
        peak_mb = [p / 2**20 for p in peak]
        peak_all = max(peak_mb + [base.get('peak_memory_mb', 0.)])
        devices = Counter(self._devices)
        for name, n in base.get('devices', {}).items():
            devices[name] = max(devices[name], n)
        early = None
        state = get_distance_state(runner)
        if state and state.get('stop'):
            early = state['stop'].get('epoch')
        elif final and getattr(runner.train_loop, 'stop_training', False) \
                and epochs_run < runner.max_epochs:
            early = epochs_run

        def rate(n, s):
            return n / s if s > 0 else None

        return dict(
            config=osp.basename(runner.cfg.filename or '') or None,
            final=final,
            device_type=device.type,
            world_size=world,
            devices=dict(devices),
            wall_time_s=wall,
            device_hours=world * tot['wall'] / 3600 +
            base.get('device_hours', 0.),
            gpu_days=(world * tot['wall'] / 3600 +
                      base.get('device_hours', 0.)) / 24,
            time_split_s=split,
            images=images,
            images_per_s=dict(
                weight_step=rate(images['weight_step'],
                                 split['weight_step']),
                arch_step=rate(images['arch_step'], split['arch_step'])),
            peak_memory_mb=peak_all,
            peak_memory_per_rank_mb=peak_mb,
            peak_memory_kind=('cuda max_memory_allocated'
                              if device.type == 'cuda' else 'peak RSS'),
            ablation_overhead=(split['arch_step'] / split['weight_step']
                               if split['weight_step'] > 0 else None),
            epochs_run=epochs_run,
            max_epochs=runner.max_epochs,
            early_stop_epoch=early,
            sessions=base.get('sessions', 0) + 1)

    def _write(self, runner, record):
        if is_main_process():
            atomic_write_text(osp.join(runner.work_dir, self.out_file),
                              json.dumps(record, indent=1) + '\n')

    # ------------------------------------------------------------- hooks
    def after_train_epoch(self, runner):
        self.snapshot = self.totals(runner, epochs_run=runner.epoch + 1)
        self._write(runner, self.snapshot)

    def before_save_checkpoint(self, runner, checkpoint):
        if self.snapshot is not None:
            checkpoint[CKPT_KEY] = self.snapshot

    def after_train(self, runner):
        record = self.totals(runner, epochs_run=runner.epoch, final=True)
        self.snapshot = record
        self._write(runner, record)
        runner.logger.info(format_table(record))


def format_table(r):
    """The report as a text table."""
    def fmt(v, spec):
        return '-' if v is None else format(v, spec)

    wall = r['wall_time_s']
    split = r['time_split_s']
    devices = ', '.join(f'{n} x {name}' for name, n in r['devices'].items())
    rows = [
        ('wall time', f'{wall:.1f} s ({wall / 3600:.3f} h)'),
        ('devices', f'{r["world_size"]} process(es): {devices}'),
        ('device-hours / GPU-days',
         f'{r["device_hours"]:.4f} h / {r["gpu_days"]:.5f} d'),
        ('images/s weight step',
         fmt(r['images_per_s']['weight_step'], '.1f')),
        ('images/s arch step', fmt(r['images_per_s']['arch_step'], '.1f')),
    ]
    for k in SPLIT_KEYS:
        share = 100 * split[k] / wall if wall > 0 else 0.
        rows.append((f'time: {k}', f'{split[k]:.2f} s ({share:.1f}%)'))
    rows += [
        (f'peak memory ({r["peak_memory_kind"]}, max over ranks)',
         f'{r["peak_memory_mb"]:.1f} MiB'),
        ('ablation overhead (arch / weight step)',
         fmt(r['ablation_overhead'], '.2f')),
        ('epochs run', f'{r["epochs_run"]} of {r["max_epochs"]}'),
        ('early stop epoch', fmt(r['early_stop_epoch'], 'd')),
        ('sessions (1 + resumes)', str(r['sessions'])),
    ]
    width = max(len(k) for k, _ in rows)
    line = '-' * (width + 3 + max(len(v) for _, v in rows))
    body = '\n'.join(f'{k.ljust(width)} | {v}' for k, v in rows)
    return f'search cost\n{line}\n{body}\n{line}'
