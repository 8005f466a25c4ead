"""Architecture-step strategies (see :mod:`.base`); registered in MODELS."""
from .base import ABLATION_MODES, BaseArchStep
from .leave_one_out import LeaveOneOutArchStep
from .legacy import arch_strategy_cfg
from .reference_dynamics import ReferenceDynamicsArchStep
from .shapley import ShapleyArchStep
from .unrolled import UnrolledArchStep

__all__ = [
    'ABLATION_MODES', 'BaseArchStep', 'LeaveOneOutArchStep',
    'ReferenceDynamicsArchStep', 'ShapleyArchStep', 'UnrolledArchStep',
    'arch_strategy_cfg'
]
