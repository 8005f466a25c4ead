"""--cfg-options on a config variable that the file already substituted
(max_epochs -> train_cfg.max_epochs) is reported with the key to use."""
import os.path as osp
import runpy
import sys

import pytest
from mmengine.config import Config

from mmddarts.utils.consumed_vars import consumed_variable_warnings

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

TOY = """
model = dict(type='NoSuchModel')
max_epochs = 4
lr = 0.05
data_root = 'data/x/'
scale = True
train_cfg = dict(by_epoch=True, max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=lr))
work_dir = 'work_dirs/toy'
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs)]
"""


@pytest.fixture
def toy_cfg(tmp_path):
    path = tmp_path / 'toy.py'
    path.write_text(TOY)
    return Config.fromfile(str(path))


def test_variable_names_the_keys_it_was_copied_to(toy_cfg):
    (msg, ) = consumed_variable_warnings(toy_cfg, {'max_epochs': 1})
    assert msg.startswith('--cfg-options max_epochs=...')
    assert 'set train_cfg.max_epochs instead' in msg
    (msg, ) = consumed_variable_warnings(toy_cfg, {'lr': 0.1})
    assert 'optim_wrapper.optimizer.lr' in msg
    (msg, ) = consumed_variable_warnings(toy_cfg, {'scale': False})
    assert 'the keys that use it' in msg


def test_effective_options_are_not_reported(toy_cfg):
    assert consumed_variable_warnings(toy_cfg, {
        'train_cfg.max_epochs': 1,  # the real key
        'work_dir': 'w',  # read by the Runner
        'param_scheduler': [],  # read by the Runner
        'data_root': 'd',  # propagated by apply_cfg_options
        'new_key': 3,  # not a variable of the file
    }) == []
    assert consumed_variable_warnings(toy_cfg, None) == []


def test_shipped_config_max_epochs(tmp_path):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'train',
                                   'ddarts_digits.py'))
    (msg, ) = consumed_variable_warnings(cfg, {'max_epochs': 1})
    assert 'train_cfg.max_epochs' in msg


def test_train_tool_prints_the_warning(tmp_path, capsys):
    """tools/train.py warns before building the Runner (which then fails:
    the toy config's model type does not exist)."""
    cfg = tmp_path / 'toy.py'
    cfg.write_text(TOY)
    path = osp.join(REPO, 'tools', 'train.py')
    old = sys.argv
    sys.argv = [path, str(cfg), '--work-dir', str(tmp_path / 'w'),
                '--cfg-options', 'max_epochs=1']
    try:
        with pytest.raises(Exception):
            runpy.run_path(path, run_name='__main__')
    finally:
        sys.argv = old
    err = capsys.readouterr().err
    assert 'WARNING: --cfg-options max_epochs=...' in err
    assert 'train_cfg.max_epochs' in err
