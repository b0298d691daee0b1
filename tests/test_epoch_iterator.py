"""The batching loop: batch counts, the partial last batch, shuffling with NumPy's global RNG,
``steps`` across epochs and the validation split, each against Keras 3's own code."""

import warnings

import numpy as np
import pytest

from convkit.models import Batch, EpochIterator, train_validation_split


def _epochs(iterator, n_epochs):
    """Per epoch, the x rows of each batch (and how many warnings the epoch raised)."""
    out = []
    for _ in range(n_epochs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out.append(([batch.x.tolist() for _, batch in iterator], len(caught)))
    return out


def _keras_epochs(n_epochs, x, **kwargs):
    from keras.src.trainers.epoch_iterator import EpochIterator as KerasEpochIterator

    iterator = KerasEpochIterator(x, **kwargs)
    out = []
    for _ in range(n_epochs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            batches = []
            for _, _, data in iterator:
                for item in data:
                    batches.append((item[0] if isinstance(item, tuple) else item).tolist())
            out.append((batches, len(caught)))
    return out


@pytest.mark.parametrize("n,batch_size,steps", [
    (10, 4, None), (8, 4, None), (1, 32, None), (33, None, None), (10, None, 3), (10, 4, 2),
    (10, 4, 3), (10, 4, 5), (10, 3, 1), (7, 7, None),
])
@pytest.mark.parametrize("shuffle", [False, True])
def test_batches_and_order_match_keras(n, batch_size, steps, shuffle):
    import keras.src.trainers.epoch_iterator  # noqa: F401 (importing Keras draws random numbers)

    x = np.arange(n)
    np.random.seed(7)
    ours = _epochs(EpochIterator(x, batch_size=batch_size, steps=steps, shuffle=shuffle), 4)
    after_ours = np.random.random()
    np.random.seed(7)
    theirs = _keras_epochs(4, x, batch_size=batch_size, steps_per_epoch=steps, shuffle=shuffle)
    assert ours == theirs
    assert np.random.random() == after_ours  # the same number of draws from the global RNG


def test_batch_counts_and_partial_last_batch():
    data = EpochIterator(np.zeros((70, 3)), np.zeros(70), batch_size=32)
    assert data.num_batches == 3 and data.batch_size == 32 and data.num_samples == 70
    sizes = [(len(b.x), len(b.y), b.sample_weight) for _, b in data]
    assert sizes == [(32, 32, None), (32, 32, None), (6, 6, None)]
    assert [step for step, _ in data] == [0, 1, 2]
    assert EpochIterator(np.zeros((64, 1))).num_batches == 2  # batch_size defaults to 32
    assert EpochIterator(np.zeros((10, 1)), steps=4).batch_size == 3  # ceil(10 / 4)
    assert EpochIterator(np.zeros((0, 1))).num_batches == 0
    assert list(EpochIterator(np.zeros((0, 1)))) == []


def test_x_y_and_sample_weight_stay_aligned_when_shuffled():
    x = np.arange(20).reshape(10, 2)
    y = np.arange(10) * 10
    w = np.arange(10) / 10
    np.random.seed(3)
    rows = []
    for _, batch in EpochIterator(x, y, w, batch_size=4, shuffle=True):
        assert isinstance(batch, Batch)
        np.testing.assert_array_equal(batch.y, batch.x[:, 0] * 5)
        np.testing.assert_array_equal(batch.sample_weight, batch.x[:, 0] / 20)
        rows += batch.y.tolist()
    assert sorted(rows) == y.tolist() and rows != y.tolist()


def test_shuffle_is_one_global_permutation_per_epoch():
    x = np.arange(9)
    np.random.seed(11)
    first = _epochs(EpochIterator(x, batch_size=4, shuffle=True), 3)
    np.random.seed(11)
    perms = [np.random.permutation(9).tolist() for _ in range(3)]
    assert [sum(batches, []) for batches, _ in first] == perms
    np.random.seed(11)
    again = _epochs(EpochIterator(x, batch_size=4, shuffle=True), 3)
    assert again == first  # np.random.seed makes it deterministic
    assert first[0] != first[1]
    np.random.seed(11)
    assert _epochs(EpochIterator(x, batch_size=4), 1)[0][0] == [[0, 1, 2, 3], [4, 5, 6, 7], [8]]
    assert np.random.permutation(9).tolist() == perms[0]  # shuffle=False draws nothing


def test_first_batch_costs_one_permutation_like_kerass_build_step():
    x = np.arange(6)
    np.random.seed(5)
    data = EpochIterator(x, batch_size=4, shuffle=True)
    first = data.first_batch()
    epoch = [batch.x.tolist() for _, batch in data]
    np.random.seed(5)
    p1, p2 = np.random.permutation(6), np.random.permutation(6)
    assert first.x.tolist() == p1[:4].tolist()
    assert epoch == [p2[:4].tolist(), p2[4:].tolist()]
    with pytest.raises(ValueError, match="0 samples"):
        EpochIterator(np.zeros((0, 2))).first_batch()


def test_steps_carry_the_pass_across_epochs_and_warn_when_it_runs_out():
    data = EpochIterator(np.arange(10), batch_size=4, steps=2)
    assert data.num_batches == 2
    epochs = _epochs(data, 4)
    assert epochs == [([[0, 1, 2, 3], [4, 5, 6, 7]], 0), ([[8, 9]], 1),
                      ([[0, 1, 2, 3], [4, 5, 6, 7]], 0), ([[8, 9]], 1)]
    with pytest.warns(UserWarning, match="data ran out after 3 of the 5 steps"):
        list(EpochIterator(np.arange(10), batch_size=4, steps=5))


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"batch_size": 0}, ValueError, "`batch_size` must be a positive int. Received: "
                                    "batch_size=0"),
    ({"batch_size": 2.0}, ValueError, "batch_size"),
    ({"batch_size": True}, ValueError, "batch_size"),
    ({"steps": -1}, ValueError, "`steps` must be a positive int"),
    ({"shuffle": "yes"}, ValueError, "`shuffle` must be True or False"),
    ({"y": np.zeros(9)}, ValueError, "cardinality is ambiguous.*x has 10, y has 9"),
    ({"sample_weight": np.zeros(3)}, ValueError, "sample_weight has 3"),
    ({"y": 1.0}, ValueError, "`y` must have a batch axis"),
])
def test_bad_arguments_name_themselves(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        EpochIterator(np.zeros((10, 2)), **kwargs)


def test_bad_x():
    with pytest.raises(ValueError, match="`x` is required"):
        EpochIterator(None)
    with pytest.raises(ValueError, match="`x` must have a batch axis"):
        EpochIterator(3.0)


@pytest.mark.parametrize("n,split", [(20, 0.9), (20, 0.1), (10, 0.25), (7, 0.5), (3, 0.34),
                                     (100, 0.2), (1000, 0.3), (2, 0.5)])
def test_validation_split_sizes_follow_kerass_float_floor(n, split):
    from keras.src.trainers.data_adapters.array_slicing import train_validation_split as ref

    x, y = np.arange(n), np.arange(n) * 2
    (x_train, y_train, w_train), (x_val, y_val, w_val) = train_validation_split(
        (x, y, None), validation_split=split)
    (kx_train, ky_train, _), (kx_val, ky_val, _) = ref((x, y, None), validation_split=split)
    assert x_train.tolist() == np.asarray(kx_train).tolist()
    assert y_val.tolist() == np.asarray(ky_val).tolist()
    assert len(x_train) + len(x_val) == n and w_train is None and w_val is None
    assert x_val.tolist() == list(range(len(x_train), n))  # the last rows, unshuffled


def test_validation_split_float_floor_example_and_errors():
    (train,), (val,) = train_validation_split((np.arange(20),), 0.9)
    assert len(train) == 1 and len(val) == 19  # floor(20 * (1.0 - 0.9)) = floor(1.99...) = 1
    with pytest.raises(ValueError, match="not sufficient to split"):
        train_validation_split((np.arange(3),), 0.7)  # floor(3 * 0.3) = 0 training rows
    with pytest.raises(ValueError, match="not sufficient to split"):
        train_validation_split((np.arange(5),), 1e-17)  # 1.0 - 1e-17 == 1.0: no validation row
    with pytest.raises(ValueError, match="not sufficient to split"):
        train_validation_split((np.arange(1),), 0.5)
    for bad in (0, 1, 1.5, -0.1, "0.2", True):
        with pytest.raises(ValueError, match="`validation_split` must be a float"):
            train_validation_split((np.arange(10),), bad)
    with pytest.raises(ValueError, match="cardinality"):
        train_validation_split((np.arange(10), np.arange(9)), 0.2)
