"""Exports and logs what a search has found, every epoch.

Per epoch, into the work dir (main process only):

- ``genotype_<method>_epoch_<k>.json`` and ``genotype_<method>_latest.json``
  for every parsing method of the model (``k`` counts from 1, like
  checkpoints);
- one log line per alpha owner (cell): its marginal contribution ``mc`` and
  ablation loss ``labl`` averaged over the epoch's architecture steps, and its
  number of dominant ops (op weight > ``dominant_threshold``);
- one JSON line appended to ``search_history.jsonl`` (alphas, mc, labl,
  dominant counts, genotypes, and the counts of arch steps averaged,
  guarded and skipped), read back by :mod:`.search_history` (the plots of
  ``tools/analysis_tools/plot_*.py``).

At the end of training: ``genotype_<method>_final.json`` and, when
``mmddarts.visualization.draw_genotype`` is available, ``.png`` drawings;
with ACA options (the hook's ``aca`` or the config's top-level ``aca``
dict), also ``genotype_aca_final.json`` and its drawing, each allocated op
labelled with its identity share (docs/aca.md).

The per-iteration bookkeeping stays on the logs' device (sums and step
counts are tensors; skipped and guarded steps are masked with
``torch.where``), so the hook adds no host synchronisation to an iteration;
it reads the totals once per epoch.
"""
import json
import os
import os.path as osp
import warnings

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmddarts.models.search.mixed_op import mix
from mmddarts.registry import HOOKS
from mmddarts.structures.parsing import EmptyGeneWarning
from .search_history import HISTORY_FILE
from .vis_utils import add_png, alpha_curve_scalars


def op_weights(alpha, mixing='sigmoid'):
    """Op weights of an alpha tensor [edges, ops], as the supernet mixes
    them (:func:`mmddarts.models.search.mixed_op.mix`)."""
    return mix(alpha.detach().float(), mixing)


def supernet_mixing(model):
    """'sigmoid' or 'softmax': what the supernet mixes ops with."""
    arch = getattr(model, 'architecture', model)
    return getattr(arch, 'mixing', 'sigmoid')


@HOOKS.register_module()
class GenotypeExportHook(Hook):
    """Args:
        parse_methods (sequence of str, optional): defaults to the model's
            ``parse_methods``.
        threshold (float, optional): defaults to the model's ``threshold``.
        dominant_threshold (float): op weight counted as dominant (0.9).
        history_file (str): JSON-lines history, relative to the work dir.
        draw (bool): draw PNGs of the final genotypes.
        aca (dict, optional): ACA options (see
            :data:`mmddarts.engine.aca_allocation.ACA_DEFAULTS`); None:
            the config's top-level ``aca`` (no ACA when it has none);
            ``False``: no ACA even if the config has it.
    """
    priority = 'LOW'

    def __init__(self,
                 parse_methods=None,
                 threshold=None,
                 dominant_threshold=0.9,
                 history_file=HISTORY_FILE,
                 draw=True,
                 aca=None):
        self.parse_methods = parse_methods
        self.threshold = threshold
        self.dominant_threshold = dominant_threshold
        self.history_file = history_file
        self.draw = draw
        self.aca = aca
        self._sums = {}
        self._count = 0
        self._skipped = 0
        self._guarded = 0

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _methods(self, model):
        methods = self.parse_methods or getattr(model, 'parse_methods',
                                                ('sparse', ))
        return tuple(methods)

    def _threshold(self, model):
        if self.threshold is not None:
            return self.threshold
        return getattr(model, 'threshold', 0.85)

    def _history_path(self, runner):
        return osp.join(runner.work_dir, self.history_file)

    # --------------------------------------------------------------- hooks
    def before_train(self, runner):
        # A resumed search drops the history of epochs it will redo.
        path = self._history_path(runner)
        if not is_main_process() or not osp.isfile(path):
            return
        with open(path) as f:
            lines = [ln for ln in f if ln.strip()]
        kept = [ln for ln in lines if json.loads(ln)['epoch'] <= runner.epoch]
        if len(kept) != len(lines):
            with open(path, 'w') as f:
                f.writelines(kept)

    # Only defined when the ablation guard did not fire: a guarded step's
    # zeros are "term off", not a measured ablation loss.
    GUARDED_KEYS = ('labl', )

    def before_train_epoch(self, runner):
        self._sums = {}
        self._count = 0
        self._skipped = 0
        self._guarded = 0

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        model = self._model(runner)
        logs = getattr(model, 'latest_arch_logs', None)
        if not logs:
            return
        values = {k: v.detach().float() for k, v in logs.items()}
        model.latest_arch_logs = {}  # consumed: skipped steps add nothing
        finite_grads = getattr(model, 'latest_arch_grads_finite', None)
        model.latest_arch_grads_finite = None
        # An fp16 step whose gradients overflowed is skipped by the loss
        # scaler: the model records that its alpha grads were not finite
        # (the forward logs usually still are). Such a step, or one with
        # inf/nan logs, is left out of the epoch's averages. All on the
        # device: ``ok`` masks the step instead of an early return.
        device = next(iter(values.values())).device
        ok = torch.stack([torch.isfinite(v).all() for v in values.values()])
        ok = ok.all()
        if finite_grads is not None:
            ok = ok & finite_grads.to(device=device, dtype=torch.bool)
        guarded = values['abl_guarded'].bool().any() if \
            'abl_guarded' in values else torch.zeros((), dtype=torch.bool,
                                                     device=device)
        self._guarded = self._guarded + (ok & guarded).long()
        self._skipped = self._skipped + (~ok).long()
        self._count = self._count + ok.long()
        unguarded = ok & ~guarded
        for key, value in values.items():
            keep = unguarded if key in self.GUARDED_KEYS else ok
            # where(): a skipped step's inf/nan must not reach the sums
            value = torch.where(keep, value, torch.zeros_like(value))
            prev = self._sums.get(key)
            self._sums[key] = value if prev is None else prev + value

    def _read_counts(self):
        """The epoch's step counts as ints (one host read per epoch)."""
        counts = [self._count, self._guarded, self._skipped]
        if any(isinstance(c, torch.Tensor) for c in counts):
            counts = torch.stack([torch.as_tensor(c).cpu()
                                  for c in counts]).tolist()
        self._count, self._guarded, self._skipped = (int(c) for c in counts)

    def after_train_epoch(self, runner):
        model = self._model(runner)
        epoch = runner.epoch + 1
        self._read_counts()
        means = {}
        for k, v in self._sums.items():
            n = self._count - (self._guarded if k in self.GUARDED_KEYS
                               else 0)
            if n:
                means[k] = (v / n).cpu().tolist()
        mixing = supernet_mixing(model)
        names, alphas, dominant = [], {}, []
        for name, alpha in model.named_arch_parameters():
            names.append(name)
            alphas[name] = alpha.detach().float().cpu().tolist()
            dominant.append(int(
                (op_weights(alpha, mixing) > self.dominant_threshold).sum()))
        thr = self._threshold(model)
        genotypes = {}
        for method in self._methods(model):
            with warnings.catch_warnings():  # logged from meta below
                warnings.simplefilter('ignore', EmptyGeneWarning)
                geno = model.genotype(method=method, threshold=thr)
            meta = dict(geno.meta, parse_method=method, threshold=thr,
                        searched_epochs=epoch)
            genotypes[method] = geno.replace(meta=meta)
        self._log(runner, epoch, names, means, dominant, genotypes)
        if not is_main_process():
            return
        # alpha curves for the visualizer's backends (TensorBoard)
        runner.visualizer.add_scalars(alpha_curve_scalars(model, [
            (n, op_weights(a, mixing).cpu().numpy())
            for n, a in model.named_arch_parameters()]), step=epoch)
        for method, geno in genotypes.items():
            geno.save(osp.join(runner.work_dir,
                               f'genotype_{method}_epoch_{epoch}.json'))
            geno.save(osp.join(runner.work_dir,
                               f'genotype_{method}_latest.json'))
        record = dict(
            epoch=epoch,
            owners=names,
            mixing=mixing,
            alphas=alphas,
            dominant=dominant,
            # steps averaged; steps whose ablation guard fired (labl left
            # out); steps skipped (overflowed / non-finite)
            arch_steps=self._count,
            guarded_steps=self._guarded,
            skipped_steps=self._skipped,
            genotypes={m: g.to_dict() for m, g in genotypes.items()})
        record.update(means)  # mc, labl, l01 ... per owner, if logged
        path = self._history_path(runner)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'a') as f:
            f.write(json.dumps(record) + '\n')

    def _log(self, runner, epoch, names, means, dominant, genotypes):
        first = next(iter(genotypes.values()), None)
        scalars = {}
        skipped = (f'; {self._skipped} step(s) with non-finite values or '
                   'alpha gradients (overflowed under AMP) left out'
                   if self._skipped else '')
        if self._guarded:
            skipped += (f'; labl over the {self._count - self._guarded} '
                        'steps whose ablation guard did not fire')
        lines = [f'search epoch {epoch}: per owner (mc / labl averaged over '
                 f'{self._count} arch steps{skipped})']
        for i, name in enumerate(names):
            parts = [f'  [{i}] {name}:']
            for key in ('mc', 'labl'):
                vals = means.get(key)
                if vals is not None and i < len(vals):
                    parts.append(f'{key}={vals[i]:.4f}')
                    scalars[f'search/{key}_{i}'] = vals[i]
            parts.append(f'dominant={dominant[i]}')
            scalars[f'search/dominant_{i}'] = dominant[i]
            # genes[i]: owner i's gene (gene(k) is cell k's, and cells
            # are not owners with shared alphas)
            if first is not None and i < len(first.genes):
                gene = ', '.join(f'{op} {to}<-{src}'
                                 for op, to, src in first.genes[i])
                parts.append(f'gene({first.meta.get("parse_method")}): '
                             f'{gene}')
            lines.append(' '.join(parts))
        for method, geno in genotypes.items():
            for fb in geno.meta.get('empty_fallback', ()):
                lines.append(
                    f"  WARNING {method}: owner {fb['owner']} (cell(s) "
                    f"{fb['cells']}) has no op >= {fb['threshold']}; "
                    f"substituted {fb['op']} {fb['to']}<-{fb['src']} "
                    f"(weight {fb['weight']:.4f})")
        runner.logger.info('\n'.join(lines))
        if scalars and is_main_process():
            runner.visualizer.add_scalars(scalars, step=epoch)

    def after_train(self, runner):
        model = self._model(runner)
        if not is_main_process():
            return
        thr = self._threshold(model)
        draw = None
        if self.draw:
            try:
                from mmddarts.visualization import draw_genotype as draw
            except ImportError as err:
                runner.logger.warning(
                    'GenotypeExportHook: no PNG drawings, mmddarts.'
                    f'visualization.draw_genotype unavailable ({err})')
        for method in self._methods(model):
            # the last epoch's log already showed any empty-gene fallback
            # (the same alphas); meta['empty_fallback'] records it
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', EmptyGeneWarning)
                geno = model.genotype(method=method, threshold=thr)
            geno = geno.replace(meta=dict(
                geno.meta, parse_method=method, threshold=thr,
                searched_epochs=runner.epoch))
            base = osp.join(runner.work_dir, f'genotype_{method}_final')
            geno.save(base + '.json')
            if draw is not None:
                draw(geno, base + '.png')
                add_png(runner.visualizer, f'genotype_{method}',
                        base + '.png', step=runner.epoch)
        runner.logger.info(
            f'final genotypes written to {runner.work_dir}/genotype_*_final.*')
        self._export_aca(runner, model, draw)

    def _export_aca(self, runner, model, draw):
        aca = self.aca
        if aca is None:
            aca = (getattr(runner, 'cfg', None) or {}).get('aca')
        if not aca:
            return
        from mmddarts.engine.aca_allocation import aca_genotype, aca_options
        geno = aca_genotype(model, runner.cfg, aca_options(aca))
        geno = geno.replace(meta=dict(geno.meta,
                                      searched_epochs=runner.epoch))
        base = osp.join(runner.work_dir, 'genotype_aca_final')
        geno.save(base + '.json')
        if draw is not None:
            draw(geno, base + '.png')
            add_png(runner.visualizer, 'genotype_aca', base + '.png',
                    step=runner.epoch)
        shares = [round(1 - a.fraction, 3) for gene in geno.allocations
                  for a in gene]
        runner.logger.info(
            f'ACA ({geno.meta["aca"]["importance"]}, '
            f'{geno.meta["aca"]["allocator"]}): identity share per edge '
            f'{shares}; written to {base}.json')
