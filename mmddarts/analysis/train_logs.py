"""What a finished training run left in its work dir: the test accuracy
of its last evaluation, read from mmengine's ``vis_data/scalars.json``
(torch-free, shared by the comparison tools)."""
import json
import os
import os.path as osp


def last_accuracy(scalars_lines):
    """Top-1 accuracy of the last evaluation in mmengine's
    ``vis_data/scalars.json`` lines (``None`` if there is none)."""
    acc = None
    for line in scalars_lines:
        line = line.strip()
        if not line:
            continue
        record = json.loads(line)
        if 'accuracy/top1' in record:
            acc = float(record['accuracy/top1'])
    return acc


def find_scalars(train_dir):
    """The newest ``<timestamp>/vis_data/scalars.json`` of a work dir."""
    stamps = sorted(d for d in os.listdir(train_dir)
                    if osp.isfile(osp.join(train_dir, d, 'vis_data',
                                           'scalars.json')))
    if not stamps:
        raise FileNotFoundError(f'{train_dir}: no */vis_data/scalars.json')
    return osp.join(train_dir, stamps[-1], 'vis_data', 'scalars.json')
