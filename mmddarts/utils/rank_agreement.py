"""Decisions that every rank must take together.

A hook that decides from per-rank state (an early stop, say) must not let the
ranks disagree: the rank that stops leaves the collective calls of the next
epoch and the others hang until the process-group timeout. Rank 0 decides and
its decision (with the state it decided from) is broadcast to the others.
"""
from mmengine.dist import broadcast_object_list, get_world_size


def broadcast_from_rank0(obj):
    """``obj`` as rank 0 has it, on every rank (``obj`` itself when not
    distributed). ``obj`` must be picklable."""
    if get_world_size() <= 1:
        return obj
    box = [obj]
    broadcast_object_list(box, src=0)
    return box[0]
