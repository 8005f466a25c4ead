"""Write a converted checkpoint as mmengine's ``load_checkpoint`` reads it."""
import json
import os
import os.path as osp

import torch


def save_converted_checkpoint(state_dict, meta, path):
    """Save ``{'meta': meta, 'state_dict': state_dict}`` to ``path``.

    ``meta`` must be JSON-serialisable (it holds the genotype's JSON form,
    stem, num_cells, channels), so the file loads with
    ``torch.load(weights_only=True)``.
    """
    json.dumps(meta)  # fail here, not when someone loads the file
    path = osp.abspath(path)
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save({'meta': dict(meta), 'state_dict': dict(state_dict)}, path)
    return path
