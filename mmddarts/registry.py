"""Child registries of mmengine's root registries.

``locations`` lets mmengine import the modules that fill each registry on first
use, so configs may say ``type='mmddarts.DDartsNet'`` with no ``custom_imports``.
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

MODELS = Registry(
    'model', parent=MMENGINE_MODELS, locations=['mmddarts.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMENGINE_MODEL_WRAPPERS,
    locations=['mmddarts.models'])
DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, locations=['mmddarts.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMENGINE_DATA_SAMPLERS,
    locations=['mmddarts.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, locations=['mmddarts.datasets'])
HOOKS = Registry(
    'hook', parent=MMENGINE_HOOKS, locations=['mmddarts.engine'])
LOOPS = Registry(
    'loop', parent=MMENGINE_LOOPS, locations=['mmddarts.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMENGINE_OPTIM_WRAPPERS,
    locations=['mmddarts.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmddarts.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMENGINE_PARAM_SCHEDULERS,
    locations=['mmddarts.engine'])
METRICS = Registry(
    'metric', parent=MMENGINE_METRICS, locations=['mmddarts.evaluation'])
OPTIMIZERS = Registry(
    'optimizer', parent=MMENGINE_OPTIMIZERS, locations=['mmddarts.engine'])
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS)
VISUALIZERS = Registry(
    'visualizer', parent=MMENGINE_VISUALIZERS,
    locations=['mmddarts.visualization'])
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS)
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS)
# ACA (docs/aca.md): channel importance measures and channel allocators,
# selected by name in a config's ``aca`` dict.
ACA_IMPORTANCE = Registry(
    'aca channel importance', scope='mmddarts',
    locations=['mmddarts.models.search.aca'])
ACA_ALLOCATORS = Registry(
    'aca channel allocator', scope='mmddarts',
    locations=['mmddarts.models.search.aca'])
