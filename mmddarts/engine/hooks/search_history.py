"""Read ``search_history.jsonl``, the per-epoch record that
:class:`~.genotype_export_hook.GenotypeExportHook` appends to a search's work
dir (alphas, mc, labl, dominant counts, genotypes): the reader sits next to
its writer so the two agree on the format."""
import json
import os.path as osp

HISTORY_FILE = 'search_history.jsonl'


class SearchHistoryError(ValueError):
    """A history file that is missing, empty or not a search's records."""


def load_history(path):
    """The records of a ``search_history.jsonl`` file (or of the one in the
    work dir ``path``), sorted by epoch (a resumed search may have rewritten
    epochs: the last record wins)."""
    if osp.isdir(path):
        path = osp.join(path, HISTORY_FILE)
    if not osp.isfile(path):
        raise SearchHistoryError(f'{path}: no such history file (a search '
                                 f'writes {HISTORY_FILE} into its work dir)')
    by_epoch = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                raise SearchHistoryError(
                    f'{path}:{n}: not JSON ({err.msg})') from None
            if 'epoch' not in rec or 'alphas' not in rec:
                raise SearchHistoryError(f'{path}:{n}: a history record '
                                         "needs 'epoch' and 'alphas'")
            by_epoch[rec['epoch']] = rec
    if not by_epoch:
        raise SearchHistoryError(f'{path}: empty history')
    return [by_epoch[k] for k in sorted(by_epoch)]
