"""Genotypes named on a command line, and the distance matrix between
them written as CSV or drawn as an annotated heatmap
(``tools/analysis_tools/arch_distance.py``; the metric itself is
:mod:`mmddarts.structures.distance`)."""
import csv
import os.path as osp

from mmddarts.structures.baselines import BASELINE_NAMES, get_baseline
from mmddarts.structures.genotype import Genotype
from mmddarts.structures.loading import load_genotype


def labelled_genotype(spec):
    """A file path, a trained checkpoint (``.pth``: the genotype it
    records) or a baseline name -> (label, Genotype)."""
    if osp.isfile(spec) and spec.endswith(('.pth', '.pt')):
        return osp.splitext(osp.basename(spec))[0], checkpoint_genotype(spec)
    if osp.isfile(spec):
        return osp.splitext(osp.basename(spec))[0], load_genotype(spec)
    if spec.lower() in BASELINE_NAMES:
        return spec.lower(), get_baseline(spec)
    raise FileNotFoundError(f'{spec}: no such file, and not a baseline name '
                            f'({", ".join(BASELINE_NAMES)})')


def checkpoint_genotype(path):
    """The genotype a trained checkpoint records (its network as built,
    after Algorithm 1); a search checkpoint or one without a record is an
    error saying what to pass instead."""
    from mmddarts.models.backbones.net_arch import read_net_arch
    from mmddarts.models.strict_load import (read_checkpoint, state_dict_of,
                                             state_kind)
    ckpt = read_checkpoint(path)
    if state_kind(state_dict_of(ckpt)) == 'search':
        raise SystemExit(
            f'error: {path} is a search checkpoint: export its genotypes '
            f'first (python tools/export_genotype.py {path}) and pass a '
            'genotype_<method>.json')
    arch = read_net_arch(ckpt, where=path)
    if arch is None:
        raise SystemExit(f'error: {path} records no genotype (not a '
                         'derived network, or written before mmddarts '
                         'recorded it); pass its genotype file')
    return Genotype.from_dict(arch['genotype'], source=path)


def unique_labels(labels):
    """Suffix repeated stems (``a``, ``a#2``) so CSV columns stay distinct."""
    seen, out = {}, []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f'{label}#{seen[label]}')
    return out


def write_csv(matrix, labels, stream, precision):
    writer = csv.writer(stream, lineterminator='\n')
    writer.writerow([''] + labels)
    for label, row in zip(labels, matrix):
        writer.writerow([label] + [f'{v:.{precision}f}' for v in row])


def plot_heatmap(matrix, labels, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    n = len(labels)
    size = max(4.0, 0.9 * n + 2.0)
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    vmax = max(float(matrix.max()), 1e-12)
    image = ax.imshow(matrix, cmap='viridis', vmin=0.0, vmax=vmax)
    ax.set_xticks(range(n), labels=labels, rotation=45, ha='right')
    ax.set_yticks(range(n), labels=labels)
    for i in range(n):
        for j in range(n):
            # dark text on the bright end of viridis, light on the dark end
            color = 'black' if matrix[i, j] > 0.6 * vmax else 'white'
            ax.text(j, i, f'{matrix[i, j]:.3f}', ha='center', va='center',
                    color=color, fontsize=8)
    fig.colorbar(image, ax=ax, label='architecture distance')
    ax.set_title('Architecture distance')
    # 'tight' grows the canvas to fit long file stems and the colorbar label
    fig.savefig(path, dpi=120, bbox_inches='tight')
    plt.close(fig)
