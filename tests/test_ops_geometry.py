"""The forward-conv geometry a layer asks for on every call is remembered, and remembering it
never lets an argument through that the checks would reject."""

import numpy as np
import pytest

from convkit import ops
from convkit.ops import _geometry


@pytest.mark.parametrize("strides,padding,dilation", [
    (1, "same", 1), ((2, 1), "valid", 1), (1, "same", (2, 3)), (3, "same", 1)])
def test_remembered_geometry_equals_a_fresh_one(strides, padding, dilation):
    fresh = _geometry._geometry((9, 11), (3, 2), strides, padding, dilation, "conv")
    first = _geometry.conv_geometry((9, 11), (3, 2), strides, padding, dilation)
    again = _geometry.conv_geometry((9, 11), (3, 2), strides, padding, dilation)
    assert first == fresh and again is first


@pytest.mark.parametrize("bad", [2.0, (1, 2.0), (1, 1, 1), "2", None, 0, -1])
def test_a_bad_argument_is_rejected_after_its_plain_int_twin_was_remembered(bad):
    _geometry.conv_geometry((8, 8), (3, 3), 2, "same", 1)
    _geometry.conv_geometry((8, 8), (3, 3), (1, 2), "same", 1)
    with pytest.raises(ValueError, match="strides"):
        _geometry.conv_geometry((8, 8), (3, 3), bad, "same", 1)
    with pytest.raises(ValueError, match="strides"):
        ops.conv(np.ones((1, 8, 8, 1), np.float32), np.ones((3, 3, 1, 1), np.float32), bad)


def test_errors_are_raised_every_time_not_remembered():
    for _ in range(2):
        with pytest.raises(ValueError):
            _geometry.conv_geometry((2, 2), (3, 3), 1, "valid", 1)
        with pytest.raises(ValueError, match="padding"):
            _geometry.conv_geometry((8, 8), (3, 3), 1, "bogus", 1)


def test_lists_and_numpy_ints_take_the_checked_path_with_the_same_answer():
    plain = _geometry.conv_geometry((8, 8), (3, 3), (2, 2), "same", 1)
    assert _geometry.conv_geometry([8, 8], [3, 3], [2, 2], "same", 1) == plain
    assert _geometry.conv_geometry((8, 8), (3, 3), np.int64(2), "same", np.int32(1)) == plain
