"""Export of derived networks (ONNX) with a runtime parity check."""
from .onnx_export import (TRAINING_ONLY_OPS, OnnxParityError, check_parity,
                          export_onnx, graph_op_types, onnx_input_shape,
                          wrap_for_export)

__all__ = [
    'TRAINING_ONLY_OPS', 'OnnxParityError', 'check_parity', 'export_onnx',
    'graph_op_types', 'onnx_input_shape', 'wrap_for_export'
]
