"""The DirectConvJob record: ops (``ops/_direct.py``) and every built ``_conv`` copy agree on
its field names, order, offsets and size, and what ops write by name the kernel reads under
that name."""

import types

import numpy as np
import pytest

from convkit import _kernels
from convkit.ops import _direct


def _conv_copies():
    return [(v, _kernels.load_variant("_conv", v)) for v in _kernels.built_variants()
            if _kernels._cpu.supports(v)]


@pytest.mark.parametrize("variant, module", _conv_copies())
def test_kernel_dtype_matches_ops(variant, module):
    theirs = module.DIRECT_CONV_JOB
    assert theirs == _direct.DIRECT_CONV_JOB
    assert theirs.names == _direct.JOB_FIELDS
    item = np.dtype(np.intp).itemsize
    assert theirs.itemsize == item * len(_direct.JOB_FIELDS)
    assert [theirs.fields[name][1] for name in theirs.names] == [
        item * i for i in range(len(theirs.names))]
    _direct.check_job_dtype(module)  # no ImportError


@pytest.mark.parametrize("variant, module", _conv_copies())
def test_fields_written_by_name_are_read_by_name(variant, module):
    # every field a different value, so a swapped pair of fields shows
    job = {name: 1000 + 7 * i for i, name in enumerate(_direct.JOB_FIELDS)}
    job["pd"] = -3  # padding may be negative (transposed-conv phases)
    records = _direct.job_records([job, dict(job, N=5)])
    read = module.read_jobs(records)
    assert read[0] == job
    assert read[1] == dict(job, N=5)


def test_direct_conv_job_fills_every_field_from_its_arguments():
    packed = _direct.pack_weights(np.ones((1, 3, 2, 4, 6)), 2)
    job = _direct.direct_conv_job(
        3, 4, packed, in_spatial=(1, 7, 9), out_spatial=(1, 5, 8), kernel_spatial=(1, 3, 2),
        strides=(1, 1, 2), dilation=(1, 2, 1), pad=(0, -1, 1), out_origin=11,
        out_strides=(400, 80, 16, 2), out_channel_stride=1, relu=1, n_threads=2, w_off=12,
        b_off=13)
    assert tuple(job) == _direct.JOB_FIELDS
    read = _kernels.load("_conv").read_jobs(_direct.job_records([job]))[0]
    assert read == job
    assert (read["N"], read["H"], read["W"], read["C"], read["Ho"], read["Wo"]) == (3, 7, 9, 4,
                                                                                   5, 8)
    assert (read["KH"], read["KW"], read["sw"], read["dh"], read["ph"], read["pw"]) == (
        3, 2, 2, 2, -1, 1)
    assert (read["G"], read["Cg"], read["Fg"]) == (2, 4, 3)
    assert (read["o_off"], read["o_sn"], read["o_sw"], read["o_sc"]) == (11, 400, 2, 1)
    assert (read["relu"], read["w_off"], read["b_off"]) == (1, 12, 13)


def test_missing_or_unknown_field_names_raise():
    job = {name: 1 for name in _direct.JOB_FIELDS}
    with pytest.raises(KeyError, match="missing"):
        _direct.job_records([{k: v for k, v in job.items() if k != "relu"}])
    renamed = {("geom" if k == "relu" else k): v for k, v in job.items()}
    with pytest.raises(KeyError, match="missing: 'relu'"):
        _direct.job_records([renamed])
    with pytest.raises(KeyError, match=r"unknown: \['geom'\]"):
        _direct.job_records([job, dict(job, geom=0)])


def test_module_with_another_record_is_refused():
    fake = types.SimpleNamespace(__name__="fake._conv",
                                 DIRECT_CONV_JOB=np.dtype([("N", np.intp), ("D", np.intp)]))
    with pytest.raises(ImportError, match="DirectConvJob"):
        _direct.check_job_dtype(fake)
    with pytest.raises(ImportError, match="DirectConvJob"):
        _direct.check_job_dtype(types.SimpleNamespace(__name__="old._conv"))


def test_kernel_rejects_a_plain_integer_vector():
    """The old positional geometry (a flat intp vector) no longer passes as a record."""
    module = _kernels.load("_conv")
    x = np.zeros(4, np.float32)
    with pytest.raises((ValueError, TypeError)):
        module.conv_f(x, x, x, x, np.zeros(len(_direct.JOB_FIELDS), np.intp), "wide", 1)
