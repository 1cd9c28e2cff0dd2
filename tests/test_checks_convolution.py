"""The checks of lab 01: right answers pass, each typical mistake gets its own message."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from labutils_answers import lab01

from labutils.checks import CheckFailed, NotImplementedYet, convolution
from labutils.checks.convolution import (
    check_conv2d_loop,
    check_conv_output_size,
    check_conv_param_count,
    check_receptive_field,
    measured_receptive_field,
)
from labutils.checks.registry import exercises, targets

# The checks alone, without the guard of their registration (reference.exercise), which
# would name the workbook's own answers these tests use instead of checking them.
check_conv2d_loop = check_conv2d_loop.__wrapped__
check_conv_output_size = check_conv_output_size.__wrapped__
check_conv_param_count = check_conv_param_count.__wrapped__
check_receptive_field = check_receptive_field.__wrapped__

ROOT = Path(__file__).resolve().parents[1]


def failure(check, answer) -> str:
    with pytest.raises(CheckFailed) as error:
        check(answer)
    assert not isinstance(error.value, NotImplementedYet)
    return str(error.value)


def not_done(*args, **kwargs):
    raise NotImplementedError()


# --------------------------------------------------------------------------- loop convolution


def correlate(image, kernel, flip_rows=False, flip_columns=False, transpose=False,
              rows=None, columns=None):
    """A loop cross-correlation with switches for the typical mistakes."""
    if flip_rows:
        kernel = kernel[::-1, :]
    if flip_columns:
        kernel = kernel[:, ::-1]
    if transpose:
        kernel = kernel.T
    kh, kw = kernel.shape
    rows = image.shape[0] - kh + 1 if rows is None else rows
    columns = image.shape[1] - kw + 1 if columns is None else columns
    out = np.zeros((rows, columns))
    for i in range(rows):
        for j in range(columns):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def test_conv2d_loop_accepts_the_right_answer(capsys):
    check_conv2d_loop(correlate)
    assert "conv2d_loop: all 12 checks passed." in capsys.readouterr().out


def test_conv2d_loop_accepts_a_tensor_result():
    import torch

    check_conv2d_loop(lambda image, kernel: torch.from_numpy(correlate(image, kernel)))


def test_conv2d_loop_names_true_convolution():
    message = failure(check_conv2d_loop, lambda im, k: correlate(im, k, True, True))
    assert "gave" in message and "where F.conv2d gives" in message
    assert "you flipped the kernel, which is true convolution" in message
    assert "cross-correlation" in message


def test_conv2d_loop_names_a_flip_along_one_axis():
    rows = failure(check_conv2d_loop, lambda im, k: correlate(im, k, flip_rows=True))
    assert "flipped upside down (rows reversed)" in rows
    columns = failure(check_conv2d_loop, lambda im, k: correlate(im, k, flip_columns=True))
    assert "flipped left to right (columns reversed)" in columns


def test_conv2d_loop_names_a_transposed_kernel():
    message = failure(check_conv2d_loop, lambda im, k: correlate(im, k, transpose=True))
    assert "rows and columns of the kernel are swapped" in message


def test_conv2d_loop_names_an_output_one_too_small():
    def short(image, kernel):
        (h, w), (kh, kw) = image.shape, kernel.shape
        return correlate(image, kernel, rows=h - kh, columns=w - kw)

    message = failure(check_conv2d_loop, short)
    assert "returned shape (2, 2)" in message and "Expected shape (3, 3)" in message
    assert "stop one position early" in message and "range(H - kH + 1)" in message


def test_conv2d_loop_names_an_output_of_the_input_size():
    def same_size(image, kernel):
        out = np.zeros(image.shape)
        valid = correlate(image, kernel)
        out[:valid.shape[0], :valid.shape[1]] = valid
        return out

    message = failure(check_conv2d_loop, same_size)
    assert "returned shape (5, 5)" in message and "the output has the size of the input" in message


def test_conv2d_loop_names_one_kernel_size_for_both_directions():
    def square_only(image, kernel):
        kh = kernel.shape[0]
        return correlate(image, kernel[:, :kh] if kernel.shape[1] >= kh else kernel,
                         rows=image.shape[0] - kh + 1, columns=image.shape[1] - kh + 1)

    message = failure(check_conv2d_loop, square_only)
    assert "kernel of shape (2, 3)" in message
    assert "you used one kernel size for both directions" in message


def test_conv2d_loop_names_swapped_output_axes():
    message = failure(check_conv2d_loop,
                      lambda im, k: correlate(im.T, k.T).T if im.shape[0] == im.shape[1]
                      else np.zeros((im.shape[1] - k.shape[1] + 1, im.shape[0] - k.shape[0] + 1)))
    assert "returned shape (6, 5)" in message and "rows and columns are swapped" in message


def test_conv2d_loop_says_when_nothing_is_returned():
    message = failure(check_conv2d_loop, lambda image, kernel: None)
    assert "returned NoneType" in message and "`return` it" in message


def test_conv2d_loop_says_when_the_input_is_changed():
    def in_place(image, kernel):
        out = correlate(image, kernel)
        image *= 0
        return out

    assert "changed its input arrays" in failure(check_conv2d_loop, in_place)


def test_conv2d_loop_stub_and_crash():
    with pytest.raises(NotImplementedYet, match="not done yet"):
        check_conv2d_loop(not_done)
    message = failure(check_conv2d_loop, lambda image, kernel: image[100, 100])
    assert "raised IndexError" in message


# --------------------------------------------------------------------------- parameters


def right_count(cin, cout, k, bias=True):
    return cout * cin * k * k + (cout if bias else 0)


def test_conv_param_count_accepts_the_right_answer(capsys):
    check_conv_param_count(right_count)
    assert "conv_param_count: all 7 checks passed." in capsys.readouterr().out


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda cin, cout, k, bias=True: cin * cout * k * k, "you forgot the biases"),
    (lambda cin, cout, k, bias=True: cin * cout * k * k + cout,
     "with bias=False the layer has no biases"),
    (lambda cin, cout, k, bias=True: cin * cout * k * k + 1,
     "one bias per output channel, not one for the whole layer"),
    (lambda cin, cout, k, bias=True: cin * cout * k * k + (cin if bias else 0),
     "not in_channels"),
    (lambda cin, cout, k, bias=True: cout * k * k + (cout if bias else 0),
     "multiply by in_channels too"),
    (lambda cin, cout, k, bias=True: cin * k * k + (cout if bias else 0),
     "one filter per output channel"),
    (lambda cin, cout, k, bias=True: cin * cout * k + (cout if bias else 0),
     "k * k weights per input channel, not k"),
])
def test_conv_param_count_names_each_mistake(wrong, words):
    message = failure(check_conv_param_count, wrong)
    assert words in message
    assert "sum(p.numel() for p in nn.Conv2d(" in message


def test_conv_param_count_first_message_in_full():
    message = failure(check_conv_param_count, lambda cin, cout, k, bias=True: cin * cout * k * k)
    assert message.splitlines()[0] == "conv_param_count(3, 16, 3, bias=True) gave 432."
    assert message.splitlines()[1].startswith("Expected 448, which is sum(p.numel()")


def test_conv_param_count_wrong_type_and_stub():
    assert "returned NoneType" in failure(check_conv_param_count, lambda *a, **k: None)
    with pytest.raises(NotImplementedYet):
        check_conv_param_count(not_done)


# --------------------------------------------------------------------------- output size


def right_size(n, k, p=0, s=1, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def test_conv_output_size_accepts_the_right_answer(capsys):
    check_conv_output_size(right_size)
    assert "configurations agree with nn.Conv2d" in capsys.readouterr().out


def test_conv_output_size_accepts_math_floor():
    check_conv_output_size(lambda n, k, p=0, s=1, d=1:
                           math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1)


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda n, k, p=0, s=1, d=1: (n + 2 * p - d * (k - 1) - 1) // s, "forgot the final + 1"),
    (lambda n, k, p=0, s=1, d=1: (n + 2 * p - d * (k - 1)) // s + 1,
     "subtracts 1 inside the floor"),
    (lambda n, k, p=0, s=1, d=1: n + 2 * p - d * (k - 1) - 1 // s + 1, "operator precedence"),
    (lambda n, k, p=0, s=1, d=1: n + 2 * p - d * (k - 1), "the stride is ignored"),
    (lambda n, k, p=0, s=1, d=1: (n + 2 * p - k) // s + 1, "the dilation is ignored"),
    (lambda n, k, p=0, s=1, d=1: (n + 2 * p - d * k) // s + 1, "not d*k"),
    (lambda n, k, p=0, s=1, d=1: (n + p - d * (k - 1) - 1) // s + 1, "use 2*p, not p"),
    (lambda n, k, p=0, s=1, d=1: (n - d * (k - 1) - 1) // s + 1, "the padding is ignored"),
    (lambda n, k, p=0, s=1, d=1: math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1,
     "you rounded up"),
    (lambda n, k, p=0, s=1, d=1: round((n + 2 * p - d * (k - 1) - 1) / s) + 1,
     "rounded to the nearest whole number"),
])
def test_conv_output_size_names_each_mistake(wrong, words):
    message = failure(check_conv_output_size, wrong)
    assert words in message
    assert "Expected" in message and "nn.Conv2d(1, 1, kernel_size=" in message


def test_conv_output_size_off_by_one_message_in_full():
    message = failure(check_conv_output_size, lambda n, k, p=0, s=1, d=1: n - k)
    lines = message.splitlines()
    assert lines[0] == "conv_output_size(n=28, k=3, p=0, s=1, d=1) gave 25."
    assert lines[1] == ("Expected 26: nn.Conv2d(1, 1, kernel_size=3, stride=1, padding=0, "
                        "dilation=1) turns a 28x28 image into 26x26.")
    assert lines[2].startswith("Hint: off by one")


def test_conv_output_size_true_division_gives_a_fraction():
    message = failure(check_conv_output_size,
                      lambda n, k, p=0, s=1, d=1: (n + 2 * p - d * (k - 1) - 1) / s + 1)
    assert "which is not a whole number" in message and "use // (floor division)" in message


def test_conv_output_size_a_partly_right_answer_gets_the_general_hint():
    def only_small(n, k, p=0, s=1, d=1):
        return right_size(n, k, p, s, d) if n < 100 else 7

    message = failure(check_conv_output_size, only_small)
    assert "n=224" in message and "(n + 2*p - d*(k - 1) - 1) // s + 1" in message


def test_conv_output_size_wrong_type_and_stub():
    assert "returned str" in failure(check_conv_output_size, lambda *args: "26")
    with pytest.raises(NotImplementedYet):
        check_conv_output_size(not_done)


# --------------------------------------------------------------------------- receptive field


def rf_forward(layers):
    size, jump = 1, 1
    for k, s in layers:
        size += (k - 1) * jump
        jump *= s
    return size


def rf_backward(layers):
    size = 1
    for k, s in reversed(layers):
        size = s * size + (k - s)
    return size


@pytest.mark.parametrize("right", [rf_forward, rf_backward])
def test_receptive_field_accepts_both_right_answers(right, capsys):
    check_receptive_field(right)
    assert "stacks agree with the measured receptive field" in capsys.readouterr().out


def test_measured_receptive_field_of_known_stacks():
    assert measured_receptive_field([]) == 1
    assert measured_receptive_field([(3, 1), (3, 1)]) == 5
    assert measured_receptive_field([(2, 2), (2, 2), (2, 2)]) == 8
    assert measured_receptive_field([(7, 2), (3, 2)]) == 11
    assert measured_receptive_field([(1, 2), (3, 1)]) == 5  # gaps inside, extent still 5


def rf_ignoring_strides(layers):
    return 1 + sum(k - 1 for k, _ in layers)


def rf_from_zero(layers):
    return rf_forward(layers) - 1


def rf_sum(layers):
    return sum(k for k, _ in layers)


def rf_stride_too_early(layers):
    size, jump = 1, 1
    for k, s in layers:
        jump *= s
        size += (k - 1) * jump
    return size


def rf_wrong_order(layers):
    size = 1
    for k, s in layers:
        size = s * size + (k - s)
    return size


def rf_product(layers):
    return math.prod(k for k, _ in layers)


@pytest.mark.parametrize(("wrong", "words"), [
    (rf_ignoring_strides, "the strides are ignored"),
    (rf_from_zero, "start from 1"),
    (rf_sum, "each layer adds k - 1 pixels, not k"),
    (rf_stride_too_early, "add (k - 1) * jump first, then multiply the jump by s"),
    (rf_wrong_order, "walk the layers in reverse"),
    (rf_product, "receptive fields do not multiply"),
])
def test_receptive_field_names_each_mistake(wrong, words):
    message = failure(check_receptive_field, wrong)
    assert words in message
    assert "region of the input (measured with gradients)" in message


def test_receptive_field_ignoring_strides_message_in_full():
    lines = failure(check_receptive_field, rf_ignoring_strides).splitlines()
    assert lines[0] == "receptive_field([(2, 2), (3, 1)]) gave 4."
    assert lines[1].startswith("Expected 6: one output pixel of that stack depends on a 6 x 6")


def test_receptive_field_crash_stub_and_type():
    message = failure(check_receptive_field,
                      lambda layers: layers[0][0] + rf_forward(layers[1:]) - 1)
    assert "receptive_field([]) raised IndexError" in message
    assert "returned list" in failure(check_receptive_field, lambda layers: [1])
    with pytest.raises(NotImplementedYet):
        check_receptive_field(not_done)


def test_checks_give_back_the_thread_count_even_when_they_fail():
    import torch

    before = torch.get_num_threads()
    failure(check_conv_output_size, lambda n, k, p=0, s=1, d=1: n)
    check_receptive_field(rf_forward)
    assert torch.get_num_threads() == before


# ------------------------------------------------------------------ answers written by others
# Right answers in other styles than the solution's, and wrong answers students make that
# the sections above do not cover yet.


def conv2d_by_kernel_offsets(image, kernel):
    """Right, vectorised: one shifted slice of the image per kernel weight."""
    kh, kw = kernel.shape
    out_h, out_w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((out_h, out_w))
    for u in range(kh):
        for v in range(kw):
            out += kernel[u, v] * image[u:u + out_h, v:v + out_w]
    return out


def conv2d_as_nested_lists(image, kernel):
    """Right, in plain Python: lists of lists."""
    kh, kw = len(kernel), len(kernel[0])
    return [[sum(image[i + u][j + v] * kernel[u][v] for u in range(kh) for v in range(kw))
             for j in range(len(image[0]) - kw + 1)] for i in range(len(image) - kh + 1)]


@pytest.mark.parametrize("right", [conv2d_by_kernel_offsets, conv2d_as_nested_lists])
def test_conv2d_loop_accepts_other_right_styles(right, capsys):
    check_conv2d_loop(right)
    assert "conv2d_loop: all" in capsys.readouterr().out


def test_conv2d_loop_names_an_output_started_with_np_empty():
    def from_empty(image, kernel):
        out = np.empty((image.shape[0] - kernel.shape[0] + 1,
                        image.shape[1] - kernel.shape[1] + 1))
        out[0, 0] = np.nan  # what np.empty may hold, made certain here
        return out + correlate(image, kernel)

    assert "holds nan or inf values" in failure(check_conv2d_loop, from_empty)


def test_conv2d_loop_names_a_window_summed_without_the_kernel():
    def box_sum(image, kernel):
        kh, kw = kernel.shape
        return correlate(image, np.ones((kh, kw)))

    message = failure(check_conv2d_loop, box_sum)
    assert "where F.conv2d gives" in message and "kernel's top-left weight" in message


@pytest.mark.parametrize("right", [
    lambda cin, cout, k, bias=True: (cin * k * k + int(bias)) * cout,
    lambda cin, cout, k, bias=True: np.prod([cout, cin, k, k]) + (cout if bias else 0),
    lambda cin, cout, k, bias=True: float(cout * (cin * k ** 2 + (1 if bias else 0))),
])
def test_conv_param_count_accepts_other_right_styles(right, capsys):
    check_conv_param_count(right)
    assert "conv_param_count: all 7 checks passed" in capsys.readouterr().out


@pytest.mark.parametrize(("answer", "words"), [
    (lambda cin, cout, k, bias=True: float("nan"), "gave nan, which is not a size"),
    (lambda cin, cout, k, bias=True: cin * cout * k * k / 7 + cout, "no division is needed"),
    (lambda cin, cout, k, bias=True: str(cin * cout * k * k), "returned str"),
])
def test_conv_param_count_unexpected_answers_get_a_message(answer, words):
    assert words in failure(check_conv_param_count, answer)


@pytest.mark.parametrize("right", [
    lambda n, k, p=0, s=1, d=1: int((n + 2 * p - d * (k - 1) - 1) / s) + 1,
    lambda n, k, p=0, s=1, d=1: np.floor((n + 2 * p - d * (k - 1) - 1) / s).astype(int) + 1,
    lambda n, k, p=0, s=1, d=1: len(range(0, n + 2 * p - d * (k - 1), s)),
])
def test_conv_output_size_accepts_other_right_styles(right, capsys):
    check_conv_output_size(right)
    assert "agree with nn.Conv2d" in capsys.readouterr().out


@pytest.mark.parametrize(("value", "shown"), [
    (float("nan"), "gave nan"), (float("inf"), "gave inf"), (-math.inf, "gave -inf")])
def test_conv_output_size_nan_and_inf_get_a_message(value, shown):
    message = failure(check_conv_output_size, lambda n, k, p=0, s=1, d=1: value)
    assert message.startswith(f"conv_output_size(n=28, k=3, p=0, s=1, d=1) {shown}, which is "
                              "not a size.")
    assert "whole-number arithmetic" in message


def test_conv_output_size_a_tensor_of_sizes_gets_a_message():
    import torch

    message = failure(check_conv_output_size,
                      lambda n, k, p=0, s=1, d=1: torch.tensor([n, n]) - k + 1)
    assert "returned a Tensor of shape (2,)" in message and "a single whole number" in message


def test_receptive_field_accepts_a_recursive_answer(capsys):
    def recursive(layers):
        if not layers:
            return 1
        (k, s), rest = layers[0], layers[1:]
        return k + s * (recursive(rest) - 1)

    check_receptive_field(recursive)
    assert "agree with the measured receptive field" in capsys.readouterr().out


@pytest.mark.parametrize(("answer", "words"), [
    (lambda layers: float("inf"), "gave inf, which is not a size"),
    (lambda layers: None, "returned NoneType"),
    (lambda layers: rf_forward(layers) / 1.5, "no division is needed"),
])
def test_receptive_field_unexpected_answers_get_a_message(answer, words):
    assert words in failure(check_receptive_field, answer)


# --------------------------------------------------------------------------- hints, reference


def test_lab_01_lists_its_exercises_each_with_two_or_three_hints():
    assert [exercise.name for exercise in exercises(1)] == [
        "conv2d_loop", "conv_param_count", "conv_output_size", "receptive_field"]
    assert set(convolution.HINTS) == {exercise.name for exercise in exercises(1)}
    assert all(2 <= len(exercise.hints) <= 3 for exercise in exercises(1))
    assert targets(1) == [] and convolution.TARGETS == ()  # nothing is trained in lab 01


def test_the_receptive_field_rule_is_in_the_last_hint_not_in_the_lab_text():
    cells = json.loads((ROOT / "solutions" / "01_convolutions.ipynb").read_text())["cells"]
    text = "".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"
                   and cell.get("id") in ("rf-text", "ex4-text"))
    assert "r \\leftarrow r + (k - 1)" not in text and "j \\leftarrow j" not in text
    assert "How" in text  # the text asks instead
    assert "(k - 1) * j" in convolution.HINTS["receptive_field"][-1]


@pytest.mark.parametrize(("check", "name"), [
    (check_conv2d_loop, "conv2d_loop"), (check_conv_param_count, "conv_param_count"),
    (check_conv_output_size, "conv_output_size"), (check_receptive_field, "receptive_field"),
])
def test_the_reference_answers_pass_their_checks(check, name, capsys):
    check(getattr(lab01, name))
    assert f"{name}: all" in capsys.readouterr().out
