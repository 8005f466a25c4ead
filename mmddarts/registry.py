"""Child registries of mmengine's root registries.

``locations`` lets mmengine import the modules that fill each registry on first
use, so configs may say ``type='mmddarts.DDartsNet'`` with no
``custom_imports``.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as \
    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry


def _child(name, parent, location=None):
    """A child of mmengine's ``parent`` registry; ``location`` is the
    mmddarts package whose import fills it."""
    return Registry(name, parent=parent,
                    locations=[location] if location else [])


MODELS = _child('model', MMENGINE_MODELS, 'mmddarts.models')
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS,
                        'mmddarts.models')
DATASETS = _child('dataset', MMENGINE_DATASETS, 'mmddarts.datasets')
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS,
                       'mmddarts.datasets')
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, 'mmddarts.datasets')
HOOKS = _child('hook', MMENGINE_HOOKS, 'mmddarts.engine')
LOOPS = _child('loop', MMENGINE_LOOPS, 'mmddarts.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS,
                        'mmddarts.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
                                    'mmddarts.engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS,
                          'mmddarts.engine')
# mmddarts defines no metric: configs use mmpretrain's / mmdet's
METRICS = _child('metric', MMENGINE_METRICS)
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, 'mmddarts.engine')
RUNNERS = _child('runner', MMENGINE_RUNNERS)
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS,
                     'mmddarts.visualization')
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS)
LOG_PROCESSORS = _child('log_processor', MMENGINE_LOG_PROCESSORS)
# ACA (docs/aca.md): channel importance measures and channel allocators,
# selected by name in a config's ``aca`` dict.
ACA_IMPORTANCE = Registry(
    'aca channel importance', scope='mmddarts',
    locations=['mmddarts.models.search.aca'])
ACA_ALLOCATORS = Registry(
    'aca channel allocator', scope='mmddarts',
    locations=['mmddarts.models.search.aca'])
