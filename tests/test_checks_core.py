"""The check framework: messages a student can act on, never a raw traceback."""

import numpy as np
import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell
from torch import nn

from labutils.checks import Check, CheckFailed, NotImplementedYet


def test_fail_message_has_found_expected_and_hint():
    check = Check("ResidualBlock")
    with pytest.raises(CheckFailed) as caught:
        check.fail("ResidualBlock(32, 3) returned shape (2, 32, 14, 14) for input (2, 32, 16, 16).",
                   "the same shape as the input.", "use padding = kernel_size // 2.")
    assert str(caught.value) == (
        "ResidualBlock(32, 3) returned shape (2, 32, 14, 14) for input (2, 32, 16, 16).\n"
        "Expected the same shape as the input.\nHint: use padding = kernel_size // 2.")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_passing_prints_one_line_with_the_count(capsys):
    check = Check("output_size")
    check.equal(26, 26, "output_size(28, 3)")
    check.that(True, "never shown")
    check.passed()
    assert capsys.readouterr().out.strip().endswith("output_size: all 2 checks passed.\x1b[0m")


def test_equal_reports_what_was_found():
    expected = r"output_size\(28, 3\) gave 25\.\nExpected 26\.\nHint: n - k \+ 1"
    with pytest.raises(CheckFailed, match=expected):
        Check("output_size").equal(torch.tensor(25), 26, "output_size(28, 3)", hint="n - k + 1")


def test_close_reports_shape_then_values():
    check = Check("conv2d")
    with pytest.raises(CheckFailed, match=r"has shape \(2, 2\)\.\nExpected shape \(3, 3\)"):
        check.numbers_close(torch.zeros(2, 2), torch.zeros(3, 3), "conv2d(image, kernel)")
    with pytest.raises(CheckFailed, match="differs from the right answer by up to 0.5"):
        check.numbers_close([[0.5]], torch.zeros(1, 1), "conv2d(image, kernel)")
    with pytest.raises(CheckFailed, match="gave a str, not numbers"):
        check.numbers_close("oops", torch.zeros(1), "conv2d(image, kernel)")
    check.numbers_close(torch.ones(2) + 1e-7, torch.ones(2), "ok")


def test_a_leftover_stub_says_not_done_yet():
    def stub(x):
        raise NotImplementedError()

    with pytest.raises(NotImplementedYet, match=r"stub\(1\) still raises NotImplementedError: "
                       r"the exercise is not done yet"):
        Check("stub").call(stub, 1, description="stub(1)")


def test_a_crash_in_student_code_is_described():
    def broken(x):
        return x.reshape(5)

    with pytest.raises(CheckFailed) as caught:
        Check("broken").call(broken, torch.zeros(4), description="broken(zeros(4))",
                             hint="look at the shapes")
    message = str(caught.value)
    assert message.startswith("broken(zeros(4)) raised RuntimeError: shape '[5]' is invalid")
    assert "Expected it to run without an error.\nHint: look at the shapes" in message


def test_an_instance_instead_of_a_class_is_explained():
    with pytest.raises(CheckFailed, match=r"received Linear object, not a class"):
        Check("Block").is_class(torch.nn.Linear(2, 2), "Block")


def test_jupyter_shows_the_message_and_the_students_line_but_no_labutils_traceback(capsys):
    shell = InteractiveShell.instance()
    shell.run_cell("from labutils.checks import Check\n"
                   "def area(w, h):\n"
                   "    return w * hh\n")
    result = shell.run_cell("Check('area').call(area, 2, 3, description='area(2, 3)')")
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert isinstance(result.error_in_exec, CheckFailed)
    assert "Check failed: area" in text
    assert "area(2, 3) raised NameError: name 'hh' is not defined" in text
    assert "Where it happened in your code:" in text and "return w * hh" in text
    assert "Traceback" not in text and "core.py" not in text


def test_own_random_state_seeds_inside_and_restores_outside():
    from labutils.checks.core import own_random_state

    torch.manual_seed(123)
    before = torch.get_rng_state()
    with own_random_state(seed=0):
        inside = torch.rand(3)
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(0)
    assert torch.equal(inside, torch.rand(3))


# --------------------------------------------------------------------------- the inspection kit


def test_leaf_layers_opens_nested_containers_and_can_keep_repeats():
    from labutils.checks.core import leaf_layers

    conv = nn.Conv2d(1, 2, 3)
    model = nn.Sequential(conv, nn.Sequential(nn.ReLU(), conv), nn.Flatten())
    assert [type(m).__name__ for m in leaf_layers(model)] == ["Conv2d", "ReLU", "Flatten"]
    assert [type(m).__name__ for m in leaf_layers(model, repeats=True)] == [
        "Conv2d", "ReLU", "Conv2d", "Flatten"]


def test_parameter_count_counts_frozen_parameters_too():
    from labutils.checks.core import parameter_count

    layer = nn.Linear(3, 4)
    layer.weight.requires_grad = False
    assert parameter_count(layer) == 3 * 4 + 4


def test_recording_lists_calls_in_running_order_and_removes_its_hooks():
    from labutils.checks.core import recording

    first, second = nn.Conv2d(1, 2, 3), nn.Conv2d(2, 4, 3, stride=2)
    model = nn.Sequential(first, nn.ReLU(), second)
    with recording([second, first]) as calls:
        model(torch.zeros(1, 1, 9, 9))
    assert [call.layer for call in calls] == [first, second]
    assert [(c.input_shape, c.output_shape) for c in calls] == [
        ((1, 1, 9, 9), (1, 2, 7, 7)), ((1, 2, 7, 7), (1, 4, 3, 3))]
    assert not first._forward_hooks and not second._forward_hooks


def test_recording_removes_its_hooks_when_the_model_crashes():
    from labutils.checks.core import recording

    layer = nn.Conv2d(1, 2, 3)
    with pytest.raises(RuntimeError), recording([layer]):
        layer(torch.zeros(1, 5, 9, 9))
    assert not layer._forward_hooks


def test_float_tensor_takes_numbers_in_any_container_and_refuses_the_rest():
    from labutils.checks.core import float_tensor

    assert torch.equal(float_tensor([[1, 2]]), torch.tensor([[1.0, 2.0]], dtype=torch.float64))
    assert float_tensor(np.arange(3)).dtype == torch.float64
    assert float_tensor(torch.ones(2, requires_grad=True)).requires_grad is False
    assert float_tensor(2.5).item() == 2.5
    for not_numbers in ("12", None, [[1, 2], [3]], {"a": 1}):
        assert float_tensor(not_numbers) is None


@pytest.mark.parametrize("answer, expected", [
    (26, 26), (26.0, 26), (np.int64(26), 26), (torch.tensor(26), 26),
    (torch.tensor([26.0]), 26), (np.array(26), 26)])
def test_whole_number_accepts_every_form_of_a_whole_number(answer, expected):
    found = Check("size").whole_number(answer, "size(28)", "return the size.")
    assert found == expected and type(found) is int


@pytest.mark.parametrize("answer, words", [
    (None, "size(28) returned NoneType: nothing."),
    ("26", "size(28) returned str '26'."),
    (True, "size(28) returned bool True."),
    (float("nan"), "size(28) gave nan, which is not a size."),
    (float("inf"), "size(28) gave inf, which is not a size."),
    (torch.tensor(float("-inf")), "size(28) gave -inf, which is not a size."),
    (26.5, "size(28) gave 26.5, which is not a whole number."),
    (torch.tensor([26, 26]), "size(28) returned a Tensor of shape (2,)."),
    ([26], "size(28) returned list [26]."),
])
def test_whole_number_explains_everything_else(answer, words):
    with pytest.raises(CheckFailed) as caught:
        Check("size").whole_number(answer, "size(28)", "return the size.", right=26,
                                   fraction_hint="round down with //.")
    message = str(caught.value)
    assert message.startswith(words)
    assert "Hint:" in message and "Traceback" not in message


def test_whole_number_shows_the_right_value_next_to_a_fraction():
    with pytest.raises(CheckFailed, match=r"gave 13\.5.*\nExpected 13\.\nHint: round down"):
        Check("size").whole_number(13.5, "size(28)", "return it.", right=13,
                                   fraction_hint="round down with //.")


def test_numbers_close_refuses_nan_even_where_the_shape_is_right():
    with pytest.raises(CheckFailed, match="holds nan or inf values"):
        Check("f").numbers_close(torch.tensor([1.0, float("nan")]), torch.ones(2), "f(x)")


def test_no_mistake_among_names_the_first_matching_mistake_only():
    check = Check("loss")
    candidates = [(torch.tensor([2.0]), "You summed.", "take the mean."),
                  (torch.tensor([-1.0]), "Wrong sign.", "mind the minus.")]
    with pytest.raises(CheckFailed, match=r"^Wrong sign\.\nHint: mind the minus\.$"):
        check.no_mistake_among(torch.tensor([-1.0]), candidates)
    check.no_mistake_among(torch.tensor([1.0]), candidates)  # no known mistake: no failure
    check.no_mistake_among(torch.tensor([2.0, 2.0]), candidates)  # other shape: no match


def test_which_mistake_prefers_the_mistake_that_explains_every_answer():
    from labutils.checks.core import Mistake, which_mistake

    mistakes = [Mistake(lambda n: n, "first"), Mistake(lambda n: n + 1, "second")]
    cases, found = [(1,), (2,), (3,)], [2, 3, 4]
    assert which_mistake(cases, found, 0, mistakes) == "second"
    assert which_mistake(cases, [1, 9, 9], 0, mistakes) == "first"
    assert which_mistake(cases, [7, 8, 9], 0, mistakes) is None


def test_one_thread_restores_the_thread_count_even_after_an_error():
    from labutils.checks.core import one_thread

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with pytest.raises(ValueError), one_thread():
            assert torch.get_num_threads() == 1
            raise ValueError()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
