"""The check framework: messages a student can act on, never a raw traceback."""

import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell

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
