import numpy as np
import pytest
from PIL import Image

pytest.importorskip('sklearn')
from sklearn.datasets import load_digits  # noqa: E402

from mmddarts.datasets import DigitsDataset  # noqa: E402


@pytest.fixture(scope='module')
def splits():
    return DigitsDataset(split='train'), DigitsDataset(split='test')


def _arrays(ds):
    imgs = np.stack([ds.get_data_info(i)['img'] for i in range(len(ds))])
    return imgs, np.asarray(ds.get_gt_labels())


def test_sizes_metainfo_and_balance(splits):
    train, test = splits
    assert (len(train), len(test)) == (1437, 360)
    assert train.metainfo['classes'] == tuple('0123456789')
    full = np.bincount(load_digits().target, minlength=10)
    n_train = np.bincount(train.get_gt_labels(), minlength=10)
    n_test = np.bincount(test.get_gt_labels(), minlength=10)
    np.testing.assert_array_equal(n_train + n_test, full)  # complete
    # stratified: every class within one image of its 360/1797 share
    assert np.all(np.abs(n_test - full * 360 / 1797) < 1)


def test_pixels_match_an_independent_resize(splits):
    train, test = splits
    imgs, labels = _arrays(test)
    assert imgs.shape == (360, 32, 32, 3) and imgs.dtype == np.uint8
    assert imgs.max() == 255 and imgs.min() == 0
    np.testing.assert_array_equal(imgs[..., 0], imgs[..., 2])  # grey
    # Every test image is a bilinear 4x upsampling of a digit of its class
    # (PIL's resize as the independent implementation).
    digits = load_digits()
    src = (digits.images * 255. / 16.).astype(np.float32)
    ref = np.stack([
        np.asarray(Image.fromarray(s).resize((32, 32), Image.BILINEAR))
        for s in src
    ])
    for img, label in zip(imgs[:20], labels[:20]):
        err = np.abs(ref - img[None, ..., 0]).reshape(len(ref), -1).max(1)
        best = int(err.argmin())
        assert err[best] <= 1.0
        assert digits.target[best] == label


def test_split_is_deterministic_and_disjoint(splits):
    train, test = splits
    again, _ = _arrays(DigitsDataset(split='test'))
    np.testing.assert_array_equal(_arrays(test)[0], again)
    other, _ = _arrays(DigitsDataset(split='test', seed=1))
    assert not np.array_equal(other, again)
    tr = {x.tobytes() for x in _arrays(train)[0][..., 0]}
    te = {x.tobytes() for x in again[..., 0]}
    # the splits share no sample: common images can only be exact
    # duplicates inside load_digits itself
    raw = load_digits().images.reshape(1797, -1)
    _, counts = np.unique(raw, axis=0, return_counts=True)
    assert len(tr & te) <= int((counts > 1).sum())


def test_sample_goes_through_pipeline():
    ds = DigitsDataset(
        split='train',
        pipeline=[
            dict(type='mmpretrain.RandomCrop', crop_size=32, padding=2),
            dict(type='mmpretrain.PackInputs')
        ])
    out = ds[3]
    assert tuple(out['inputs'].shape) == (3, 32, 32)
    assert int(out['data_samples'].gt_label) == ds.get_gt_labels()[3]


def test_bad_split():
    with pytest.raises(ValueError, match='split'):
        DigitsDataset(split='val')


@pytest.mark.parametrize('num_test', [0, 1797, 5000, 0.2])
def test_bad_num_test_names_the_argument(num_test):
    # each split needs an image; a fraction is not a count
    with pytest.raises(ValueError, match='DigitsDataset: num_test'):
        DigitsDataset(split='test', num_test=num_test)
