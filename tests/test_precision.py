"""The choice of numerics for every kind of device, with the device's abilities mocked."""

import pytest
import torch

from labutils import precision
from labutils.precision import Numerics, choose_numerics


@pytest.fixture(autouse=True)
def no_setting(monkeypatch):
    monkeypatch.delenv("LABUTILS_PRECISION", raising=False)


@pytest.mark.parametrize("native, dtype", [(True, torch.bfloat16), (False, None)])
def test_cpu_uses_bfloat16_only_with_native_instructions(monkeypatch, native, dtype):
    monkeypatch.setattr(precision, "cpu_has_native_bfloat16", lambda: native)
    numerics = choose_numerics("cpu")
    assert numerics.dtype == dtype and not numerics.scale_gradients
    if native:
        assert numerics.describe() == ("Numerics: bfloat16 mixed precision (this CPU has native "
                                       "bfloat16 instructions); mixed_precision=False for float32.")
    else:
        assert "no native bfloat16, where float32 is faster" in numerics.describe()


@pytest.mark.parametrize("capability, dtype, scaled", [
    ((9, 0), torch.bfloat16, False),   # H100
    ((8, 0), torch.bfloat16, False),   # A100
    ((7, 5), torch.float16, True),     # T4 (Colab)
    ((7, 0), torch.float16, True),     # V100
    ((6, 1), None, False),             # GTX 10xx: no tensor cores
])
def test_cuda_by_compute_capability(monkeypatch, capability, dtype, scaled):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda index=None: capability)
    numerics = choose_numerics(torch.device("cuda", 0))
    assert (numerics.device_type, numerics.dtype, numerics.scale_gradients) == (
        "cuda", dtype, scaled)
    assert f"{capability[0]}.{capability[1]}" in numerics.reason


@pytest.mark.parametrize("works, dtype", [(True, torch.float16), (False, None)])
def test_apple_gpus_use_float16_where_autocast_exists(monkeypatch, works, dtype):
    monkeypatch.setattr(precision, "_mps_autocast_works", lambda: works)
    numerics = choose_numerics("mps")
    assert numerics.dtype == dtype and numerics.scale_gradients == works


def test_switching_off_gives_float32_on_every_device(monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_native_bfloat16", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda index=None: (8, 0))
    for device in ("cpu", "cuda", "mps"):
        numerics = choose_numerics(device, mixed_precision=False)
        assert numerics.dtype is None and numerics.reason == "mixed_precision=False"
    monkeypatch.setenv("LABUTILS_PRECISION", "float32")
    assert choose_numerics("cpu").describe() == "Numerics: float32 (set by LABUTILS_PRECISION)."
    monkeypatch.setenv("LABUTILS_PRECISION", "half")
    with pytest.raises(ValueError, match="(?s)'half' is not a setting.*float32 or mixed"):
        choose_numerics("cpu")


def test_native_bfloat16_is_read_from_torch_or_the_cpu_flags(monkeypatch):
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        monkeypatch.setattr(torch.cpu, probe, lambda: False, raising=False)
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx2", "fma"})
    assert not precision.cpu_has_native_bfloat16()
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx2", "avx512_bf16"})
    assert precision.cpu_has_native_bfloat16()
    monkeypatch.setattr(precision, "cpu_flags", set)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    assert precision.cpu_has_native_bfloat16()


def test_float32_runs_without_autocast_and_mixed_with_it():
    with Numerics("cpu", None, False, "test").autocast():
        assert not torch.is_autocast_enabled("cpu")
    with Numerics("cpu", torch.bfloat16, False, "test").autocast():
        assert torch.is_autocast_enabled("cpu")
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
    assert Numerics("cpu", None, False, "test").grad_scaler() is None
    assert Numerics("cpu", torch.float16, True, "test").grad_scaler() is not None


def test_an_unknown_precision_setting_is_a_setting_error_listing_the_known_ones(monkeypatch):
    import labutils

    monkeypatch.setenv("LABUTILS_PRECISION", "bf16")
    with pytest.raises(labutils.SettingError, match="Expected: one of mixed, float32"):
        choose_numerics("cpu")
