"""The stop button in a real Jupyter kernel: fit stops, Run All stops, nothing is lost."""

from __future__ import annotations

import queue
import time
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip("jupyter_client")

ROOT = Path(__file__).resolve().parents[1]

SETUP = """
import torch
from torch import nn
import labutils
torch.manual_seed(0)
X, y = torch.randn(512, 1, 12, 12), torch.randint(0, 3, (512,))
loader = labutils.TensorLoader(X, y, batch_size=32, shuffle=True, seed=0)
model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 10 * 10, 3))
"""
TRAIN = "history = labutils.fit(model, loader, epochs=10_000, live=False)"  # the most fit allows
QUEUED = "queued_cell_ran = True"
INSPECT = ("print('state:', 'training' if model.training else 'eval', "
           "len(model.history['loss']), 'queued_cell_ran' in globals(), 'end')")


def run(client, code: str, timeout: float = 60) -> dict:
    """Execute ``code`` and return its shell reply's content."""
    msg_id = client.execute(code)
    return reply_to(client, msg_id, timeout)


def reply_to(client, msg_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        reply = client.get_shell_msg(timeout=max(deadline - time.monotonic(), 0.1))
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]


def wait_for_text(client, text: str, timeout: float) -> str:
    """Read the kernel's output until ``text`` appears; return everything read."""
    seen, deadline = "", time.monotonic() + timeout
    while text not in seen:
        try:
            message = client.get_iopub_msg(timeout=max(deadline - time.monotonic(), 0.1))
        except queue.Empty:
            raise AssertionError(f"{text!r} never appeared; output so far: {seen!r}") from None
        if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
            seen += message["content"]["text"]
    return seen


def test_interrupting_fit_stops_the_queued_cells_and_keeps_the_model_usable():
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(ROOT), env={"LABUTILS_DEVICE": "cpu"}, independent=False)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        assert run(client, SETUP)["status"] == "ok"
        training = client.execute(TRAIN)
        queued = client.execute(QUEUED)
        wait_for_text(client, "epoch 2/", timeout=120)  # at least one epoch finished
        manager.interrupt_kernel()
        interrupted = reply_to(client, training, timeout=60)
        assert interrupted["status"] == "error" and interrupted["ename"] == "KeyboardInterrupt"
        assert reply_to(client, queued, timeout=30)["status"] == "aborted"
        printed = wait_for_text(client, "will not run", timeout=10)
        assert "Training stopped by you after" in printed
        msg_id = client.execute(INSPECT)
        inspected = wait_for_text(client, " end", timeout=30)
        assert reply_to(client, msg_id, timeout=30)["status"] == "ok"
        mode, epochs, queued_ran = inspected.split("state:")[1].split()[:3]
        assert mode == "eval" and int(epochs) >= 1 and queued_ran == "False"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
