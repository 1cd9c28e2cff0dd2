"""The network, never waited on for long: a quick probe of a server, and a time limit on
every blocking step of a download.

Both are used where labutils may download something: the data sets (:mod:`.cache`), the
ResNet-18 weights (:mod:`labutils.pretrained`) and ``make doctor``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlparse


def why_unreachable(url: str, timeout: float) -> str | None:
    """``None`` when a connection to ``url``'s server opens within ``timeout`` seconds,
    otherwise a few words saying why not. Name look-ups that hang are cut off too."""
    host = urlparse(url).hostname or ""
    outcome: list[str | None] = ["no answer within the time limit"]

    def probe() -> None:
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            outcome[0] = None
        except OSError as error:
            outcome[0] = f"{type(error).__name__}: {error}"

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    return outcome[0]


@contextlib.contextmanager
def network_timeout(seconds: float) -> Iterator[None]:
    """Make every blocking network step (connect, each read) give up after ``seconds``."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)
