"""tools/train.py's data-root check (mmddarts.engine.run_checks): a missing
root is one line naming it and the key; a data set that has an installable
package (Fashion-MNIST) also names the install command."""
import pytest
from mmengine.config import Config

from mmddarts.engine.run_checks import check_data_paths


def _cfg(root, kind):
    return Config(dict(train_dataloader=dict(
        dataset=dict(type='mmddarts.SplitDataset',
                     dataset=dict(type=kind, data_root=root)))))


def test_missing_fashion_mnist_root_names_the_package(tmp_path):
    root = str(tmp_path / 'absent')
    with pytest.raises(SystemExit) as err:
        check_data_paths(_cfg(root, 'mmddarts.FashionMNIST'))
    msg = str(err.value)
    assert msg.startswith(f'error: data root not found: {root} ')
    assert 'train_dataloader.dataset.dataset.data_root' in msg
    assert '`apt-get install dataset-fashion-mnist`' in msg
    assert '\n' not in msg


def test_missing_cifar_root_names_no_package(tmp_path):
    root = str(tmp_path / 'absent')
    with pytest.raises(SystemExit) as err:
        check_data_paths(_cfg(root, 'mmddarts.CIFAR10'))
    assert 'apt-get' not in str(err.value)
    assert root in str(err.value)


def test_existing_root_passes(tmp_path):
    check_data_paths(_cfg(str(tmp_path), 'mmddarts.FashionMNIST'))
