"""Each cell's marginal contribution (and ablation loss) over a search.

Left: ``mc_i`` (CE of the full supernet minus CE with cell i's op weights
randomised, as the reference defines it, so a cell that matters has a
negative ``mc_i``; averaged over the epoch's architecture steps) per epoch,
one line per cell. Right: the last epoch's ``mc`` as bars, with ``labl`` if
logged. Searches run with ``ablation='none'`` log no contributions and are
refused.
"""
import numpy as np

from mmddarts.engine.hooks.search_history import SearchHistoryError


def plot_contributions(records, out):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    recs = [r for r in records if r.get('mc')]
    if not recs:
        raise SearchHistoryError(
            'the history holds no marginal contributions '
            "('mc'): was the search run with ablation='none'?")
    epochs = [r['epoch'] for r in recs]
    mc = np.asarray([r['mc'] for r in recs], dtype=np.float64)
    names = recs[-1].get('owners') or [f'cell {i}' for i in range(mc.shape[1])]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4))
    for i in range(mc.shape[1]):
        ax0.plot(epochs, mc[:, i], marker='.', label=names[i])
    ax0.axhline(0, color='k', lw=0.5)
    ax0.set_xlabel('epoch')
    ax0.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax0.set_ylabel('marginal contribution (CE units)')
    ax0.legend(fontsize=6)
    ax0.grid(alpha=0.3)
    x = np.arange(mc.shape[1])
    last = recs[-1]
    width = 0.4 if last.get('labl') else 0.8
    ax1.bar(x, mc[-1], width, label='mc')
    if last.get('labl'):
        ax1.bar(x + width, last['labl'], width, label='labl')
    ax1.set_xticks(x)
    ax1.set_xticklabels(names, rotation=45, fontsize=7)
    ax1.set_title(f'epoch {last["epoch"]}')
    ax1.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
