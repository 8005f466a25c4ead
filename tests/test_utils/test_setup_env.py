import warnings

import pytest
from mmengine import DefaultScope
from mmengine.registry import DATASETS

from mmddarts.setup_env import register_all_modules


@pytest.fixture
def clean_scopes():
    """Start without default scopes; give the session's back afterwards."""
    saved = dict(DefaultScope._instance_dict)
    DefaultScope._instance_dict.clear()
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


def test_sets_scope_and_plain_names_resolve(clean_scopes):
    register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'mmddarts'
    ds = DATASETS.build(
        dict(type='SplitDataset', lazy_init=True,
             dataset=dict(type='DigitsDataset', lazy_init=True)))
    assert type(ds).__name__ == 'SplitDataset'


def test_switches_back_from_another_scope(clean_scopes):
    DefaultScope.get_instance('other_a', scope_name='mmengine')
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # first time: no warning
        register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'mmddarts'
    DefaultScope.get_instance('other_b', scope_name='mmengine')
    with pytest.warns(UserWarning, match='not "mmddarts"'):
        register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'mmddarts'


def test_leaves_scope_alone_when_asked(clean_scopes):
    register_all_modules(init_default_scope=False)
    assert DefaultScope.get_current_instance() is None
