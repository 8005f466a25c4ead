"""``BaseDataset.get_subset`` without mmengine's stale-copy hazard.

mmengine 0.10's ``BaseDataset._copy_without_annotation(self, memo=dict())``
deep-copies with a memo that is a mutable default argument, so one dict is
shared by every ``get_subset`` call of the process. It maps ``id(dataset)`` to
that call's copy without keeping ``dataset`` alive. Once the dataset is freed,
a new object can take its address, and the next ``get_subset`` whose deep copy
meets that object returns the old copy instead: we saw a CIFAR10 subset whose
``pipeline`` came back as an earlier ``DigitsDataset`` subset ("'DigitsDataset'
object is not callable"), depending only on memory reuse. Every other entry of
that memo is safe only because ``copy.deepcopy`` keeps the originals it
copies alive in it (a leak, but no stale hit). A fresh memo per call avoids
the hazard whatever other code left in the shared one.
"""
import copy
from typing import Sequence, Union

from mmengine.dataset import BaseDataset


def get_subset(dataset: BaseDataset,
               indices: Union[int, Sequence[int]]) -> BaseDataset:
    """``dataset.get_subset(indices)`` with a memo of its own.

    The same steps as mmengine's ``get_subset`` (copy every attribute except
    the annotations, then take the selected annotations), except that the
    copy gets a fresh memo, so no entry left by another call, ours or
    anyone's, can stand in for one of this dataset's attributes.
    """
    dataset.full_init()  # get_subset's @force_full_init
    sub = dataset._copy_without_annotation(memo={})
    if dataset.serialize_data:
        data_bytes, data_address = dataset._get_serialized_subset(indices)
        sub.data_bytes = data_bytes.copy()
        sub.data_address = data_address.copy()
    else:
        sub.data_list = copy.deepcopy(
            dataset._get_unserialized_subset(indices))
    return sub
