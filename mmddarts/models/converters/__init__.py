"""Converters of the reference projects' checkpoints (DARTS, D-DARTS)."""
from .op_keys import source_op_suffix, source_preprocess_suffix
from .reference_converter import (convert_reference_state_dict,
                                  source_concat)
from .source_checkpoint import (ConversionError, detect_layout, detect_stem,
                                load_source_state_dict, unwrap_state_dict)
from .writer import save_converted_checkpoint

__all__ = [
    'ConversionError', 'convert_reference_state_dict', 'detect_layout',
    'detect_stem', 'load_source_state_dict', 'save_converted_checkpoint',
    'source_concat', 'source_op_suffix', 'source_preprocess_suffix',
    'unwrap_state_dict'
]
