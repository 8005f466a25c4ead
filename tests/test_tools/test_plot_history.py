"""plot_alphas / plot_contributions read a search's history from its work
dir (as the README documents) or from the file itself."""
import json

import pytest

from mmddarts.engine.hooks.search_history import (SearchHistoryError,
                                                  load_history)


def _write_history(work):
    recs = [{'epoch': 2, 'owners': ['cell0'], 'alphas': {'cell0': [[0.0]]}},
            {'epoch': 1, 'owners': ['cell0'], 'alphas': {'cell0': [[1.0]]}},
            {'epoch': 2, 'owners': ['cell0'], 'alphas': {'cell0': [[2.0]]}}]
    path = work / 'search_history.jsonl'
    path.write_text(''.join(json.dumps(r) + '\n' for r in recs))
    return str(path)


def test_load_history_from_work_dir_or_file(tmp_path):
    path = _write_history(tmp_path)
    for arg in (str(tmp_path), path):
        recs = load_history(arg)
        # sorted by epoch, the last record of a rewritten epoch wins
        assert [r['epoch'] for r in recs] == [1, 2]
        assert recs[1]['alphas']['cell0'] == [[2.0]]


def test_load_history_missing_names_the_file(tmp_path):
    with pytest.raises(SearchHistoryError, match='search_history.jsonl'):
        load_history(str(tmp_path))
