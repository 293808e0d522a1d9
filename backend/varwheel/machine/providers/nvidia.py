"""NVIDIA detection: CUDA driver version and compute capability -> ``nvidia`` properties.

What is supported follows ``nvidia-variant-provider`` 0.0.1 as built into
uv 0.13.9 (each rule below was checked against uv with forced values):

* ``cuda_version_lower_bound``: the driver's CUDA version ``M.m`` supports
  ``M.m, M.(m-1) ... M.0, M``, then for each older major down to 11
  ``K.20 ... K.0, K``.
* ``cuda_version_upper_bound``: from ``15.20 ... 15.0, 15`` down to the
  driver's major, whose values stop above ``m`` (``M.20 ... M.(m+1)``; no bare
  ``M``).
* ``sm_arch``: for the highest compute capability ``X.y`` of the machine's
  GPUs, ``Xy_real, X(y-1)_real ... X0_real, X0_virtual``; nothing below 5.0.
* Feature preference: lower bound, upper bound, sm_arch.

Where the numbers come from, first hit wins:

1. ``NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION`` (a PEP 440 version; the
   first two release numbers count) and ``NV_VARIANT_PROVIDER_FORCE_SM_ARCH``
   (``major.minor``, each part an unsigned integer, spaces allowed).  An empty
   variable counts as unset.  A value that does not parse disables the whole
   provider, as in uv.  Forced values are not range-checked.
2. NVML (``libnvidia-ml.so.1`` / ``nvml.dll``) through :mod:`ctypes`:
   ``nvmlSystemGetCudaDriverVersion_v2`` and, per device,
   ``nvmlDeviceGetCudaComputeCapability``.
3. The driver API (``libcuda.so.1`` / ``nvcuda.dll``): ``cuDriverGetVersion``,
   ``cuDeviceGetCount`` and the compute-capability attributes.

No driver, no GPU, zero visible devices (``CUDA_VISIBLE_DEVICES`` empty or
``-1``), a library that fails, or a detected driver outside 11.0 .. 15.20
(the plugin's range) all give no nvidia properties and a one-line reason.
"""

from __future__ import annotations

import sys

from varwheel.machine.providers import FeatureSupport, NamespaceSupport
from varwheel.model.builtins import UV

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only (see varwheel.machine.providers on import cost)
    from typing import List, Mapping, Optional, Tuple

    Pair = Tuple[int, int]

__all__ = [
    "NAMESPACE",
    "FORCE_DRIVER",
    "FORCE_SM",
    "UMD_MAJORS",
    "UMD_MINORS",
    "GpuInfo",
    "parse_driver_version",
    "parse_sm_arch",
    "lower_bound_values",
    "upper_bound_values",
    "sm_arch_values",
    "nvidia_features",
    "query_nvml",
    "query_libcuda",
    "query_gpus",
    "detect",
]

NAMESPACE = "nvidia"
FORCE_DRIVER = "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION"
FORCE_SM = "NV_VARIANT_PROVIDER_FORCE_SM_ARCH"
#: The plugin's driver range: majors 11..15, minors 0..20.
UMD_MAJORS = range(11, 16)
UMD_MINORS = range(21)
#: uv 0.13.9 skips the provider when a (forced) driver version needs more lower-bound values
#: than this (``12.2000``): its bound on memory, which changes which wheel it installs.
MAX_VERSION_VALUES = 1024
_MIN_SM = (5, 0)
_DIGITS = frozenset("0123456789")


def _uint(text: str) -> bool:
    """An unsigned decimal integer, optionally with a leading ``+`` (Rust's ``u32`` parse)."""
    digits = text[1:] if text.startswith("+") else text
    return bool(digits) and all(ch in _DIGITS for ch in digits)


def _fmt(major: int, minor: Optional[int]) -> str:
    return f"{major}" if minor is None else f"{major}.{minor}"


def parse_driver_version(text: str) -> Pair:
    """``"12.8"`` -> ``(12, 8)``; any PEP 440 version, missing minor = 0.  ValueError otherwise."""
    from packaging.version import InvalidVersion, Version

    try:
        release = Version(text).release
    except InvalidVersion:
        raise ValueError(f"{text!r} is not a version") from None
    return release[0], (release[1] if len(release) > 1 else 0)


def parse_sm_arch(text: str) -> Pair:
    """``"9.0"`` -> ``(9, 0)``.  Exactly two dot-separated unsigned integers.  ValueError otherwise."""
    major, sep, minor = text.partition(".")
    if not sep:
        raise ValueError(f"{text!r} is not 'major.minor'")
    parts = [major.strip(), minor.strip()]
    if not all(_uint(p) for p in parts):
        raise ValueError(f"{text!r} is not 'major.minor' with unsigned integers")
    return int(parts[0]), int(parts[1])


def lower_bound_values(driver: Pair) -> List[str]:
    """``cuda_version_lower_bound`` values a driver of CUDA ``driver`` satisfies, best first."""
    major, minor = driver
    out: List[str] = []
    for m in range(major, min(UMD_MAJORS) - 1, -1):
        minors = range(max(UMD_MINORS), -1, -1) if m < major else range(minor, -1, -1)
        out += [_fmt(m, n) for n in minors] + [_fmt(m, None)]
    return out


def upper_bound_values(driver: Pair) -> List[str]:
    """``cuda_version_upper_bound`` values (exclusive bounds above ``driver``), best first."""
    major, minor = driver
    out: List[str] = []
    for m in range(max(UMD_MAJORS), major - 1, -1):
        if m > major:
            out += [_fmt(m, n) for n in range(max(UMD_MINORS), -1, -1)] + [_fmt(m, None)]
        else:
            out += [_fmt(m, n) for n in range(max(UMD_MINORS), minor, -1)]
    return out


def sm_arch_values(cc: Pair) -> List[str]:
    """``sm_arch`` values a GPU of compute capability ``cc`` runs, best first (none below 5.0)."""
    major, minor = cc
    if cc < _MIN_SM:
        return []
    return [f"{major}{n}_real" for n in range(minor, -1, -1)] + [f"{major}0_virtual"]


def nvidia_features(driver: Pair, cc: Optional[Pair]) -> List[FeatureSupport]:
    """The provider's answer for a driver and (optionally) a compute capability."""
    out = []
    for name, values in (
        ("cuda_version_lower_bound", lower_bound_values(driver)),
        ("cuda_version_upper_bound", upper_bound_values(driver)),
        ("sm_arch", sm_arch_values(cc) if cc is not None else []),
    ):
        if values:
            out.append(FeatureSupport(name, tuple(values)))
    return out


class GpuInfo:
    """What a driver library said: CUDA version, compute capabilities, or why not."""

    __slots__ = ("driver", "capabilities", "source", "problem")

    def __init__(self, driver: "Optional[Pair]" = None, capabilities: "Optional[List[Pair]]" = None,
                 source: str = "", problem: "Optional[str]" = None) -> None:
        self.driver = driver
        self.capabilities = list(capabilities or [])
        self.source = source
        self.problem = problem

    def __repr__(self) -> str:
        return f"GpuInfo(driver={self.driver!r}, capabilities={self.capabilities!r}, problem={self.problem!r})"

    @property
    def best_capability(self) -> Optional[Pair]:
        return max(self.capabilities) if self.capabilities else None


def _lib_names(kind: str) -> Tuple[str, ...]:
    if sys.platform == "win32":
        return ("nvml.dll",) if kind == "nvml" else ("nvcuda.dll",)
    if sys.platform == "darwin":
        return ()
    return ("libnvidia-ml.so.1",) if kind == "nvml" else ("libcuda.so.1",)


def _load(kind: str):
    import ctypes

    names = _lib_names(kind)
    if not names:
        return None, f"no NVIDIA driver on {sys.platform}"
    errors = []
    for name in names:
        try:
            return ctypes.CDLL(name), name
        except OSError as exc:
            errors.append(str(exc) if name in str(exc) else f"{name}: {exc}")
    return None, "; ".join(errors)


def query_nvml() -> GpuInfo:
    """Driver CUDA version and compute capabilities through NVML."""
    import ctypes

    lib, name = _load("nvml")
    if lib is None:
        return GpuInfo(source="NVML", problem=name)
    info = GpuInfo(source=name)

    def err(call: str, code: int) -> str:
        try:
            fn = lib.nvmlErrorString
            fn.restype = ctypes.c_char_p
            text = (fn(code) or b"").decode("utf-8", "replace")
        except (AttributeError, OSError):
            text = ""
        return f"{name}: {call} failed with {code}{': ' + text if text else ''}"

    try:
        init = getattr(lib, "nvmlInit_v2", None) or lib.nvmlInit
        code = init()
        if code != 0:
            info.problem = err("nvmlInit", code)
            return info
        try:
            version = ctypes.c_int(0)
            get_version = getattr(lib, "nvmlSystemGetCudaDriverVersion_v2", None) or lib.nvmlSystemGetCudaDriverVersion
            code = get_version(ctypes.byref(version))
            if code != 0:
                info.problem = err("nvmlSystemGetCudaDriverVersion", code)
                return info
            info.driver = (version.value // 1000, (version.value % 1000) // 10)
            count = ctypes.c_uint(0)
            get_count = getattr(lib, "nvmlDeviceGetCount_v2", None) or lib.nvmlDeviceGetCount
            code = get_count(ctypes.byref(count))
            if code != 0:
                info.problem = err("nvmlDeviceGetCount", code)
                return info
            get_handle = getattr(lib, "nvmlDeviceGetHandleByIndex_v2", None) or lib.nvmlDeviceGetHandleByIndex
            get_handle.argtypes = [ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p)]
            get_cc = lib.nvmlDeviceGetCudaComputeCapability
            get_cc.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
            for index in range(count.value):
                handle = ctypes.c_void_p()
                if get_handle(index, ctypes.byref(handle)) != 0:
                    continue
                major, minor = ctypes.c_int(0), ctypes.c_int(0)
                if get_cc(handle, ctypes.byref(major), ctypes.byref(minor)) == 0:
                    info.capabilities.append((major.value, minor.value))
            if not info.capabilities:
                info.problem = f"{name}: no GPU found ({count.value} device(s) reported, none with a compute capability)"
        finally:
            shutdown = getattr(lib, "nvmlShutdown", None)
            if shutdown is not None:
                shutdown()
    except AttributeError as exc:
        info.problem = f"{name}: missing entry point ({exc})"
    return info


def query_libcuda() -> GpuInfo:
    """Driver CUDA version and compute capabilities through the CUDA driver API."""
    import ctypes

    lib, name = _load("cuda")
    if lib is None:
        return GpuInfo(source="libcuda", problem=name)
    info = GpuInfo(source=name)

    def err(call: str, code: int) -> str:
        text = ""
        try:
            ptr = ctypes.c_char_p()
            if lib.cuGetErrorString(code, ctypes.byref(ptr)) == 0 and ptr.value:
                text = ptr.value.decode("utf-8", "replace")
        except (AttributeError, OSError):
            pass
        return f"{name}: {call} failed with {code}{': ' + text if text else ''}"

    try:
        version = ctypes.c_int(0)
        code = lib.cuDriverGetVersion(ctypes.byref(version))
        if code != 0:
            info.problem = err("cuDriverGetVersion", code)
            return info
        info.driver = (version.value // 1000, (version.value % 1000) // 10)
        code = lib.cuInit(0)
        if code != 0:
            info.problem = err("cuInit", code)
            return info
        count = ctypes.c_int(0)
        code = lib.cuDeviceGetCount(ctypes.byref(count))
        if code != 0:
            info.problem = err("cuDeviceGetCount", code)
            return info
        for index in range(count.value):
            device = ctypes.c_int(0)
            if lib.cuDeviceGet(ctypes.byref(device), index) != 0:
                continue
            major, minor = ctypes.c_int(0), ctypes.c_int(0)
            # CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75, _MINOR = 76
            if lib.cuDeviceGetAttribute(ctypes.byref(major), 75, device) == 0 and lib.cuDeviceGetAttribute(
                ctypes.byref(minor), 76, device
            ) == 0:
                info.capabilities.append((major.value, minor.value))
        if not info.capabilities:
            info.problem = f"{name}: no visible GPU ({count.value} device(s))"
    except AttributeError as exc:
        info.problem = f"{name}: missing entry point ({exc})"
    return info


def query_gpus(env: Mapping[str, str]) -> GpuInfo:
    """NVML first, then libcuda; the first that reports a driver and a GPU wins."""
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return GpuInfo(source="CUDA_VISIBLE_DEVICES", problem=f"zero visible devices (CUDA_VISIBLE_DEVICES={visible!r})")
    first = query_nvml()
    if first.problem is None:
        return first
    second = query_libcuda()
    if second.problem is None:
        return second
    return GpuInfo(source=f"{first.source}, {second.source}", problem=f"{first.problem}; {second.problem}",
                   driver=first.driver or second.driver)


def detect(env: Mapping[str, str]) -> NamespaceSupport:
    """The nvidia namespace as uv's built-in provider would report it on this machine."""
    forced_driver = env.get(FORCE_DRIVER) or None
    forced_sm = env.get(FORCE_SM) or None
    driver: Optional[Pair] = None
    cc: Optional[Pair] = None
    sources = []
    try:
        if forced_driver is not None:
            driver = parse_driver_version(forced_driver)
            sources.append(f"{FORCE_DRIVER}={forced_driver}")
        if forced_sm is not None:
            cc = parse_sm_arch(forced_sm)
            sources.append(f"{FORCE_SM}={forced_sm}")
    except ValueError as exc:
        name = FORCE_DRIVER if forced_driver is not None and driver is None else FORCE_SM
        return NamespaceSupport(NAMESPACE, [], source=name,
                                note=f"{name}: {exc}; the nvidia provider is disabled (as in uv)")
    gpu: Optional[GpuInfo] = None
    if driver is None or cc is None:
        gpu = query_gpus(env)
        if gpu.problem is None:
            sources.append(gpu.source)
    if driver is None:
        if gpu is None or gpu.problem is not None:
            return NamespaceSupport(NAMESPACE, [], source=gpu.source if gpu else "",
                                    note=f"no NVIDIA GPU: {gpu.problem if gpu else 'not detected'}")
        # A GpuInfo without a problem comes from query_nvml/query_libcuda, which
        # set the driver version before they look for GPUs.
        assert gpu.driver is not None
        low, high = (min(UMD_MAJORS), min(UMD_MINORS)), (max(UMD_MAJORS), max(UMD_MINORS))
        if not (low <= gpu.driver <= high):
            return NamespaceSupport(
                NAMESPACE, [], source=gpu.source,
                note=f"the CUDA driver version {_fmt(*gpu.driver)} is outside the supported range "
                     f"{_fmt(*low)} to {_fmt(*high)}",
            )
        driver = gpu.driver
    if len(lower_bound_values(driver)) > MAX_VERSION_VALUES:
        return NamespaceSupport(
            NAMESPACE, [], source=", ".join(sources),
            note=f"CUDA driver {_fmt(*driver)} needs more than {MAX_VERSION_VALUES} cuda_version_lower_bound "
                 f"values: the nvidia provider is disabled (as in {UV}, which bounds its memory so)",
        )
    note_bits = [f"CUDA driver {_fmt(*driver)}"]
    if cc is None and gpu is not None and gpu.problem is None:
        cc = gpu.best_capability
    if cc is None:
        note_bits.append(f"no compute capability ({gpu.problem if gpu and gpu.problem else 'no GPU'}): no sm_arch")
    else:
        note_bits.append(f"compute capability {cc[0]}.{cc[1]}" + ("" if cc >= _MIN_SM else " (below 5.0: no sm_arch)"))
    return NamespaceSupport(NAMESPACE, nvidia_features(driver, cc), source=", ".join(sources),
                            note="; ".join(note_bits))
