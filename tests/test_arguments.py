"""The entry checks every public function uses: each returns what it accepts and raises a
three-part error of labutils' family for the rest."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from labutils.arguments import (
    describe,
    need_bool,
    need_choice,
    need_int,
    need_number,
    need_tensor,
)
from labutils.errors import ArgumentTypeError, ArgumentValueError


def test_describe_names_kind_dtype_and_shape():
    assert describe(torch.zeros(2, 3, dtype=torch.float64)) == "a float64 tensor of shape (2, 3)"
    assert describe(np.zeros((4,), dtype=np.uint8)) == "a numpy uint8 array of shape (4,)"
    assert describe([1, 2]) == "a list of 2 items" and describe(math.nan) == "nan"
    assert describe("x" * 100).endswith("...'") and len(describe("x" * 100)) < 70


def test_need_int_takes_whole_numbers_in_range_only():
    assert need_int(np.int64(3), "n", "f", low=1) == 3
    assert need_int(None, "n", "f", optional=True) is None
    with pytest.raises(ArgumentTypeError, match=r"f\(\) got n = True.\nExpected: a whole"):
        need_int(True, "n", "f")
    with pytest.raises(ArgumentTypeError):
        need_int(2.0, "n", "f")
    with pytest.raises(ArgumentValueError, match="from 1 to 4.\nWhat to do: choose n in"):
        need_int(5, "n", "f", low=1, high=4)


def test_need_number_refuses_nan_inf_and_out_of_range():
    assert need_number(2, "x", "f", above=0) == 2.0
    for value in (math.nan, math.inf, 0.0):
        with pytest.raises(ArgumentValueError, match="greater than 0"):
            need_number(value, "x", "f", above=0)
    with pytest.raises(ArgumentTypeError):
        need_number("1", "x", "f")


def test_need_bool_and_need_choice():
    assert need_bool(np.bool_(True), "b", "f") is True
    with pytest.raises(ArgumentTypeError, match="True, False or None"):
        need_bool(1, "b", "f", optional=True)
    assert need_choice("micro", "average", "f", ("macro", "micro")) == "micro"
    with pytest.raises(ArgumentValueError, match="one of 'macro', 'micro'"):
        need_choice("weighted", "average", "f", ("macro", "micro"))


def test_need_tensor_converts_numpy_and_checks_dims_dtype_emptiness_and_finiteness():
    assert isinstance(need_tensor(np.zeros((2, 2)), "X", "f"), torch.Tensor)
    with pytest.raises(ArgumentTypeError, match=r"torch.as_tensor\(X\)"):
        need_tensor([1, 2], "X", "f")
    with pytest.raises(ArgumentValueError, match="4 dimensions of shape \\(N, C, H, W\\)"):
        need_tensor(torch.zeros(2, 2), "X", "f", dims=(4,), shape_text="(N, C, H, W)")
    with pytest.raises(ArgumentTypeError, match=r"X.float\(\)"):
        need_tensor(torch.zeros(2, dtype=torch.long), "X", "f", floating=True)
    with pytest.raises(ArgumentValueError, match="at least one item"):
        need_tensor(torch.zeros(0, 3), "X", "f")
    with pytest.raises(ArgumentValueError, match="NaN or inf"):
        need_tensor(torch.tensor([1.0, math.inf]), "X", "f", finite=True)
