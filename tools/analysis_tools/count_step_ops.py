"""Aten compute ops and host syncs of one full search iteration, per
ablation mode, split into architecture step / weight step / the rest.

    python tools/analysis_tools/count_step_ops.py \
        configs/search/ddarts_c10.py --modes none reference exact --top 10

A search iteration on a GPU is bound by kernel launches rather than
arithmetic, so the number of ops it dispatches, times ~5-10 us of launch
overhead, is a floor on its time whatever the batch. The tool builds the
config's search model (``--cfg-options`` applies) once per mode, runs one
warm-up ``train_step`` (it creates the optimizer states, so the counted
iteration is a steady-state one) and counts one more under
:class:`mmddarts.profiling.op_counter.OpCounter`: the architecture step, the
weight step, both optimizer steps and the data preprocessing, forward and
backward alike.

What is counted (see ``mmddarts/profiling/op_counter.py``):

- **ops**: aten compute ops, i.e. roughly the kernels a GPU would launch
  (cuDNN/cuBLAS may launch a few per op, fused optimizers fewer). Views
  (``view``, ``slice``, ``expand``, ``select``, ...) and uninitialised
  allocations (``empty*``) are excluded: they launch no kernel.
- **host syncs**: ops that make the host wait for the device on a GPU:
  scalar reads (``.item()``, ``float(t)``, ``bool(t)``, ``int(t)``: all
  ``aten._local_scalar_dense``), data-dependent shapes (``nonzero``,
  ``masked_select``, ``unique``, ``equal``) and device-to-host copies, of
  tensors a GPU run keeps on the device. The count runs on the CPU, where
  every tensor is a CPU tensor, so the counter follows which tensors a GPU
  run would keep on the host (``mmddarts/profiling/host_tensors.py``: factory
  outputs such as a seed drawn from the CPU RNG or mmengine's image-size
  table, torch.optim's ``step`` counters, and what is computed from them
  alone); scalar reads of those are listed as **host-only reads**, not
  syncs. ``--sync-sites`` names the source line of each.
- **phases**: ``arch_step`` (``model.arch_step``: architecture forward and
  backward passes, ablations, alpha optimizer step), ``weight_step``
  (``model.weight_step``: weight forward/backward, clipping, SGD step) and
  ``other`` (everything else in ``train_step``: data preprocessing, timers).

The step counts do not depend on the batch, the width or the image size:
the same Python code dispatches the same ops whatever the tensor shapes (no
branch of the step depends on them; the tests check it). So the network's
width (``--C``), batch (``--batch``) and image size (``--img``) default to
tiny values (C=4, 2 images per half, 16x16) and a count takes seconds to
tens of seconds on one CPU core (counting itself slows the step 2-3x);
cells, nodes, the op set and the alpha layout come from the config and do
change the count. Two exceptions: the ``other`` phase grows by 3 ops per
image (mmengine's data preprocessor casts and normalises a list of images
one at a time: 20 + 6 x batch ops here), and a step that branches on a read
value (the ablation guard) counts differently when the branch flips (the
seed is fixed, so a count is reproducible). Counting runs on the CPU: the
op sequence is the GPU's, less cuDNN's internal kernel choices. Where the
step picks its path by device (how the ablations run: one batch with the
full network in it on a GPU, one by one on a CPU; ``DDartsSupernet.
ablation_defaults``), the count takes the GPU's; ``--cpu-path`` counts the
CPU's instead (a config or ``--cfg-options`` that sets
``ablation_defaults`` wins over both).

Printed per mode: total ops, syncs (by kind) and host-only reads, ops and
syncs per phase, the ``--top`` most frequent op kinds and, with
``--sync-sites``, the source line behind each sync and host-only read.
``--json`` writes ``{config, C, batch, img, modes: {mode: {ops, syncs,
sync_kinds, host_reads, phases: {name: {ops, syncs, sync_kinds}}, top:
[[op, count], ...], seconds[, sync_sites, host_read_sites]}}}``.
"""
import argparse
import json
import sys

from mmddarts.utils.cli_args import add_measure_args


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--modes', nargs='+',
                   default=['none', 'reference', 'exact'],
                   choices=['none', 'reference', 'exact'])
    p.add_argument('--C', type=int, default=4,
                   help='initial channels (the count does not depend on it)')
    p.add_argument('--batch', type=int, default=2,
                   help='images per half of the iteration (no effect on '
                   'the count)')
    p.add_argument('--img', type=int, default=16,
                   help='image side (no effect on the count)')
    p.add_argument('--top', type=int, default=15,
                   help='how many of the most frequent op kinds to list')
    p.add_argument('--sync-sites', action='store_true',
                   help='also list the source lines that cause host syncs')
    p.add_argument('--cpu-path', action='store_true',
                   help='count the path a CPU run takes where the step '
                   'picks one by device (default: the CUDA path)')
    add_measure_args(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmddarts.analysis.step_ops import (count_iteration, format_result,
                                            load_search_config)
    from mmddarts.setup_env import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = load_search_config(args.config, args.cfg_options)
    arch = cfg.model['architecture']
    print(f'{args.config}: {arch.get("num_cells")} cells, '
          f'{arch.get("steps")} nodes, op set {arch.get("op_set")}, '
          f'alphas {arch.get("alpha_mode")}; counted at C={args.C}, '
          f'batch {args.batch}, {args.img}x{args.img} (the counts do not '
          'depend on these)')
    out = dict(config=args.config, C=args.C, batch=args.batch, img=args.img,
               modes={})
    for mode in args.modes:
        res = count_iteration(cfg, mode, args.C, args.batch, args.img,
                              args.seed, args.top, args.sync_sites,
                              args.cpu_path)
        out['modes'][mode] = res
        print(format_result(mode, res), flush=True)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
