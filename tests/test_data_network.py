"""labutils.data.network: the probe gives up in time, and the time limit is put back."""

from __future__ import annotations

import socket
import time

import pytest

from labutils.data import network


def test_an_unreachable_server_is_detected_within_the_timeout():
    start = time.perf_counter()
    problem = network.why_unreachable("https://no-such-host.invalid/weights.pth", timeout=1.0)
    assert problem is not None
    assert time.perf_counter() - start < 3


def test_the_network_timeout_holds_inside_and_is_put_back_after_an_error():
    before = socket.getdefaulttimeout()
    with pytest.raises(KeyboardInterrupt), network.network_timeout(2.5):
        assert socket.getdefaulttimeout() == 2.5
        raise KeyboardInterrupt
    assert socket.getdefaulttimeout() == before
