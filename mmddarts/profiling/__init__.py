"""Instruments run under torch's dispatcher: the aten ops and host syncs a
step launches (:mod:`.op_counter`, with :mod:`.host_tensors` telling which
CPU tensors a GPU run would keep on the host) and the peak of live tensor
memory on any device (:mod:`.live_memory`)."""
from .host_tensors import HostTensors
from .live_memory import LiveMemory
from .op_counter import OpCounter

__all__ = ['HostTensors', 'LiveMemory', 'OpCounter']
