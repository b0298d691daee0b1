"""Bad files lose nothing (issue 16 part 2): saves are atomic, and every broken or foreign
file is a clear error that leaves the model in memory as it was."""

import json
import os
import sys
import zipfile

import numpy as np
import pytest

from convkit import layers, models, saving
from convkit.saving import weights_store


def _model(filters=3, name="m"):
    return models.Sequential([layers.Conv2D(2, 3, name="a", input_shape=(6, 6, 1)),
                              layers.Conv2D(filters, 1, name="b"), layers.UpSampling2D(2)],
                             name=name)


def _snapshot(model):
    return [w.copy() for w in model.get_weights()]


def _assert_unchanged(model, before):
    after = model.get_weights()
    assert len(after) == len(before)
    for a, b in zip(after, before):
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "m.keras"
    _model().save(path)
    return path


# ----------------------------------------------------------------- atomic saves
def test_failed_model_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    _model().save(path)
    old = path.read_bytes()
    real_writestr = zipfile.ZipFile.writestr

    def failing_writestr(self, info, data, *args, **kwargs):
        if getattr(info, "filename", info) == "model.weights.h5":  # after the JSON members
            raise OSError("disk full (injected)")
        return real_writestr(self, info, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    with pytest.raises(OSError, match="injected"):
        _model().save(path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["m.keras"]


def test_failed_weights_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.weights.h5"
    _model().save_weights(path)
    old = path.read_bytes()
    real_write = weights_store.write

    def write_half(h5file, model):
        h5file.create_group("layers/conv2d/vars")  # something is on disk when it fails
        raise RuntimeError("injected mid-write")

    monkeypatch.setattr(weights_store, "write", write_half)
    with pytest.raises(RuntimeError, match="injected"):
        _model().save_weights(path)
    monkeypatch.setattr(weights_store, "write", real_write)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["m.weights.h5"]


def test_save_replaces_an_existing_file_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "m.keras"
    first, second = _model(), _model()
    first.save(path)
    os.chmod(path, 0o644)
    second.save(path)
    assert (os.stat(path).st_mode & 0o777) == (0o666 & ~_umask())
    np.testing.assert_array_equal(models.load_model(path).get_weights()[0],
                                  second.get_weights()[0])
    with pytest.raises(FileExistsError, match="overwrite=True"):
        first.save(path, overwrite=False)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_file_names_are_checked(tmp_path):
    model = _model()
    with pytest.raises(ValueError, match=r"`\.keras` extension"):
        model.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        model.save_weights(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"`\.weights\.h5` or `\.keras`"):
        model.load_weights(tmp_path / "m.npz")
    with pytest.raises(FileNotFoundError):
        models.load_model(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match="not built"):
        models.Sequential([layers.Conv2D(2, 3)]).save_weights(tmp_path / "u.weights.h5")
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------- broken files
def _rewrite(path, **members):
    """Copy ``path`` with some members replaced."""
    with zipfile.ZipFile(path) as zf:
        contents = {name: zf.read(name) for name in zf.namelist()}
    contents.update(members)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in contents.items():
            zf.writestr(name, data)


def _corrupt_inside_weights(path):
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("model.weights.h5")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 600, start + 700):  # inside the stored member: its CRC fails
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


BROKEN = {
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
                  "truncated or corrupted"),
    "corrupted member": (_corrupt_inside_weights, r"corrupted: its member model\.weights\.h5"),
    "not a zip": (lambda p: p.write_text("{'this': 'is not a zip'}"), "not a zip archive"),
    "empty": (lambda p: p.write_bytes(b""), "not a zip archive"),
    "no config": (lambda p: zipfile.ZipFile(p, "w").writestr("other.txt", "x"),
                  r"has no \['config\.json'"),
    "config not json": (lambda p: _rewrite(p, **{"config.json": b"{not json"}),
                        "config.json is not valid JSON"),
    "weights not hdf5": (lambda p: _rewrite(p, **{"model.weights.h5": b"\x00" * 64}),
                         "not a readable HDF5 weights file"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_keras_files_are_clear_errors_and_change_nothing(saved, kind):
    damage, message = BROKEN[kind]
    damage(saved)
    with pytest.raises(ValueError, match=message):
        models.load_model(saved)
    if kind in ("no config", "config not json"):
        return  # load_weights reads only the weights member: the file's weights are fine
    model = _model()
    before = _snapshot(model)
    with pytest.raises(ValueError, match=message):
        model.load_weights(saved)
    _assert_unchanged(model, before)


def test_truncated_weights_file_changes_nothing(tmp_path):
    path = tmp_path / "m.weights.h5"
    _model().save_weights(path)
    path.write_bytes(path.read_bytes()[:1500])
    model = _model()
    before = _snapshot(model)
    with pytest.raises(ValueError, match="not a readable HDF5 weights file"):
        model.load_weights(path)
    _assert_unchanged(model, before)


def test_unknown_layer_class_is_named(saved):
    with zipfile.ZipFile(saved) as zf:
        config = json.loads(zf.read("config.json"))
    # classes convkit does not have (Dense and Dropout, the earlier examples, now exist)
    config["config"]["layers"][2]["class_name"] = "LSTM"
    config["config"]["layers"].append({"module": "keras.layers", "class_name": "GRU",
                                       "config": {"name": "gru", "units": 2},
                                       "registered_name": None})
    _rewrite(saved, **{"config.json": json.dumps(config).encode()})
    with pytest.raises(ValueError, match=r"does not have: 'LSTM' \(the model > layer 'b'\); "
                                         r"'GRU'"):
        models.load_model(saved)


def test_shape_mismatch_names_the_weight_and_changes_nothing(tmp_path):
    path = tmp_path / "m.weights.h5"
    _model(filters=4).save_weights(path)
    model = _model(filters=3)
    before = _snapshot(model)
    # layer "a" matches and would be loaded first: a loader that assigns as it reads fails here
    with pytest.raises(ValueError, match=r"layers/conv2d_1/vars/0.*shape \(1, 1, 2, 4\).*"
                                         r"'m/b/kernel' has shape \(1, 1, 2, 3\)"):
        model.load_weights(path)
    _assert_unchanged(model, before)


@pytest.mark.parametrize("other", ["fewer layers", "more layers", "unbuilt"])
def test_structure_mismatch_changes_nothing(tmp_path, other):
    path = tmp_path / "m.weights.h5"
    _model().save_weights(path)
    if other == "fewer layers":
        model = models.Sequential([layers.Conv2D(2, 3, name="a", input_shape=(6, 6, 1))])
        message = "holds weights for layers the model does not have"
    elif other == "more layers":
        model = _model()
        model.add(layers.Conv2D(2, 1, name="c"))
        message = r"has no weights for 'c' \(Conv2D\): the group 'layers/conv2d_2/vars'"
    else:
        model, message = models.Sequential([layers.Conv2D(2, 3)]), "not built"
    before = _snapshot(model)
    with pytest.raises(ValueError, match=message):
        model.load_weights(path)
    _assert_unchanged(model, before)


def test_weight_count_mismatch_is_named(tmp_path):
    path = tmp_path / "m.weights.h5"
    _model().save_weights(path)
    model = models.Sequential([layers.Conv2D(2, 3, name="a", input_shape=(6, 6, 1)),
                               layers.Conv2D(3, 1, name="b", use_bias=False),
                               layers.UpSampling2D(2)])
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"holds 2 weights for 'b' \(Conv2D\).*model has 1"):
        model.load_weights(path)
    _assert_unchanged(model, before)


# ----------------------------------------------------------------- without h5py
def test_without_h5py_files_need_the_io_extra(tmp_path, saved, monkeypatch):
    model = _model()
    monkeypatch.setitem(sys.modules, "h5py", None)  # `import h5py` now raises ImportError
    hint = r'pip install "convkit-layers\[io\]"'
    for call in (lambda: model.save(tmp_path / "n.keras"),
                 lambda: model.save_weights(tmp_path / "n.weights.h5"),
                 lambda: model.load_weights(saved),
                 lambda: models.load_model(saved),
                 lambda: saving.load_model(saved)):
        with pytest.raises(ImportError, match=hint):
            call()
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]
