"""Which numbers to train with: float32, or mixed precision where the device does it well.

Mixed precision runs the expensive operations (convolutions, matrix products) in a
16-bit format and keeps everything else in float32. ``torch.autocast`` decides which
operation gets which format, so the model's code does not change:

- **bfloat16** has float32's range with fewer digits (about 3 significant decimals).
  CPUs with native bfloat16 instructions (AVX512-BF16 or AMX) and NVIDIA GPUs from the
  Ampere generation on (A100, RTX 30xx, H100 ...) do it two to four times faster than
  float32. Its range is that of float32, so no gradient scaling is needed.
- **float16** has more digits but a small range: gradients below about 6e-8 become zero.
  Older NVIDIA GPUs with tensor cores (V100, T4 on Colab) are fast in float16 only, so
  there the loss is multiplied by a large factor before ``backward`` and the gradients
  are divided by it again before the step (``torch.amp.GradScaler`` does both, and skips
  a step whose gradients overflowed).
- Elsewhere (a CPU without bfloat16 instructions, an old GPU) 16-bit numbers are
  emulated and slower: we keep float32.

What stays in float32, and why training stays as accurate as before:

- The weights and the optimizer's state: autocast only casts *copies* of the weights for
  each operation, so small updates are never rounded away.
- Batch norm: autocast leaves it out of the 16-bit list; its running mean and variance
  and its weight and bias stay float32 and its statistics are summed in float32.
- The loss and the metrics: ``labutils.train`` computes them outside autocast on the
  outputs converted to float32, so ``log_softmax`` and the averages over the batch lose
  nothing. ``predict`` returns float32 outputs.

Set ``mixed_precision=False`` in ``fit``, ``evaluate`` or ``predict`` (or the environment
variable ``LABUTILS_PRECISION=float32``) to train in float32 everywhere.
"""

from __future__ import annotations

import contextlib
import platform
from dataclasses import dataclass
from pathlib import Path

import torch

from .settings import PRECISION_VARIABLE, precision_setting

CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass(frozen=True)
class Numerics:
    """The numbers a training run uses on one kind of device.

    ``dtype`` is the 16-bit type autocast runs convolutions and matrix products in, or
    ``None`` for plain float32. ``scale_gradients`` is True for float16 (see the module
    text); ``reason`` says in words why this was chosen.
    """

    device_type: str
    dtype: torch.dtype | None
    scale_gradients: bool
    reason: str

    @property
    def name(self) -> str:
        """``"float32"``, ``"bfloat16 mixed precision"`` or ``"float16 mixed precision"``."""
        if self.dtype is None:
            return "float32"
        return f"{str(self.dtype).removeprefix('torch.')} mixed precision"

    def autocast(self) -> contextlib.AbstractContextManager:
        """A context in which the forward pass runs in these numerics."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def grad_scaler(self) -> torch.amp.GradScaler | None:
        """A fresh gradient scaler for float16, ``None`` when none is needed."""
        return torch.amp.GradScaler(self.device_type) if self.scale_gradients else None

    def describe(self) -> str:
        """One line for the student, e.g. ``Numerics: bfloat16 mixed precision (...).``"""
        if self.dtype is None:
            return f"Numerics: float32 ({self.reason})."
        return f"Numerics: {self.name} ({self.reason}); mixed_precision=False for float32."


def cpu_flags() -> set[str]:
    """The instruction-set flags Linux lists for this CPU (empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def cpu_has_native_bfloat16() -> bool:
    """True when this CPU computes in bfloat16 in hardware (AVX512-BF16 or AMX).

    Asks PyTorch first (it checks the instructions itself on every system), then Linux's
    list of CPU flags. On a CPU without them bfloat16 is emulated and slower than float32.
    """
    cpu = getattr(torch, "cpu", None)
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        check = getattr(cpu, probe, None)
        if check is not None:
            try:
                if check():
                    return True
            except RuntimeError:
                pass
    return bool(cpu_flags() & set(CPU_BF16_FLAGS))


def _mps_autocast_works() -> bool:
    is_available = getattr(torch.amp, "is_autocast_available", None)
    return bool(is_available and is_available("mps"))


def choose_numerics(device: torch.device | str, mixed_precision: bool = True) -> Numerics:
    """The fastest numerics that ``device`` does well, and why.

    - CPU: bfloat16 with native bfloat16 instructions, else float32;
    - CUDA: bfloat16 from compute capability 8.0 (Ampere) on, float16 with gradient
      scaling on 7.x (Volta, Turing: e.g. Colab's T4), float32 on older GPUs;
    - Apple MPS: float16 with gradient scaling when this PyTorch supports autocast there;
    - ``mixed_precision=False`` or ``LABUTILS_PRECISION=float32``: float32 everywhere.
    """
    kind = torch.device(device).type
    wanted = precision_setting()  # a SettingError for a value it does not know
    if not mixed_precision:
        return Numerics(kind, None, False, "mixed_precision=False")
    if wanted == "float32":
        return Numerics(kind, None, False, f"set by {PRECISION_VARIABLE}")
    if kind == "cpu":
        if cpu_has_native_bfloat16():
            return Numerics(kind, torch.bfloat16, False,
                            "this CPU has native bfloat16 instructions")
        machine = platform.machine() or "this"
        return Numerics(kind, None, False,
                        f"this {machine} CPU has no native bfloat16, where float32 is faster")
    if kind == "cuda":
        index = torch.device(device).index
        major, minor = torch.cuda.get_device_capability(index)
        if major >= 8:
            return Numerics(kind, torch.bfloat16, False,
                            f"GPU compute capability {major}.{minor} does bfloat16 fast")
        if major == 7:
            return Numerics(kind, torch.float16, True,
                            f"GPU compute capability {major}.{minor} has float16 tensor cores; "
                            "gradients are scaled")
        return Numerics(kind, None, False,
                        f"GPU compute capability {major}.{minor} has no fast 16-bit numbers")
    if kind == "mps":
        if _mps_autocast_works():
            return Numerics(kind, torch.float16, True,
                            "Apple GPU: float16 is its fast format; gradients are scaled")
        return Numerics(kind, None, False,
                        f"this PyTorch {torch.__version__} has no autocast on Apple GPUs")
    return Numerics(kind, None, False, f"no mixed precision set up for {kind} devices")
