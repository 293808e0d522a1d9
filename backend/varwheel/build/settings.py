"""The config-settings keys the build backend owns (``-Cvariant=...`` and friends).

Frontends hand config settings over in different shapes, and all of them must
work:

===============================================  ==========================================
frontend                                         what the backend receives
===============================================  ==========================================
``python -m build -Ckey=v -Ckey=w``              ``{"key": ["v", "w"]}``; ``-Ckey`` -> ``""``
``python -m build --config-json '{...}'``        any JSON: strings, lists, ``true``
``pip wheel --config-settings key=v``            ``{"key": "v"}``, repeated -> list
``uv build -C key=v``                            ``{"key": "v"}``, repeated -> list
===============================================  ==========================================

varwheel removes its own keys before anything reaches the inner backend
(meson-python and scikit-build-core reject keys they do not know), in every
hook, so that ``python -m build -Cvariant=...`` (sdist, then wheel) works.

Keys:

``variant`` / ``variant-property`` (repeatable)
    properties recorded in ``variant.json`` and turned into compiler input.
``variant-name`` (repeatable)
    properties recorded only: no flags are derived from them.
``variant-label``
    the label; alone, it names ``[variant.variants.<label>]`` in pyproject.toml.
``null-variant``
    ``""``, ``true``, ``1``, ``yes``, ``on`` (or JSON ``true``): the null variant.
``variant-defer-label``
    true: keep the plain wheel name (``variant.json`` still inside).
``variant-metadata-format``
    ``providers`` (default) or ``pep825``.

Any other key starting with ``variant`` or ``null-variant`` is a typo of ours
and an error, rather than a setting silently handed to the inner backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

from varwheel.errors import InvalidConfigSetting

if TYPE_CHECKING:  # the type checker reads the standard dataclasses that model/values.py copies
    from dataclasses import dataclass
else:
    from varwheel.model.values import dataclass

__all__ = [
    "OWNED_KEYS",
    "VariantSettings",
    "parse_settings",
    "split_config_settings",
]

PROPERTY_KEYS = ("variant", "variant-property")
NAME_KEY = "variant-name"
LABEL_KEY = "variant-label"
NULL_KEY = "null-variant"
DEFER_KEY = "variant-defer-label"
FORMAT_KEY = "variant-metadata-format"

#: Every key varwheel owns; none of them ever reaches the inner backend.
OWNED_KEYS = PROPERTY_KEYS + (NAME_KEY, LABEL_KEY, NULL_KEY, DEFER_KEY, FORMAT_KEY)

_TRUE = ("", "true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


@dataclass(frozen=True)
class VariantSettings:
    """What the varwheel keys of one hook call ask for (still unvalidated properties)."""

    properties: Tuple[str, ...] = ()
    names: Tuple[str, ...] = ()
    label: Optional[str] = None
    null: bool = False
    #: ``None``: not given (the backend defers by itself under pip); else the user's choice.
    defer_label: Optional[bool] = None
    metadata_format: Optional[str] = None

    @property
    def requested(self) -> bool:
        """True when the user asked for a variant (any property, label or the null variant)."""
        return bool(self.properties or self.names or self.label is not None or self.null)

    @property
    def all_properties(self) -> List[str]:
        return list(self.properties) + list(self.names)


def split_config_settings(
    config_settings: Optional[Mapping[str, Any]],
) -> Tuple[Dict[str, Any], Optional[Dict[str, Any]]]:
    """``(ours, rest)``: a copy split into varwheel's keys and the inner backend's.

    ``rest`` is ``None`` when ``config_settings`` was ``None`` (so that a build
    without settings passes exactly what the frontend passed).  The input is
    never modified.
    """
    if config_settings is None:
        return {}, None
    if not isinstance(config_settings, Mapping):
        raise InvalidConfigSetting(
            f"config settings must be a mapping of keys to values, got {type(config_settings).__name__}"
        )
    ours: Dict[str, Any] = {}
    rest: Dict[str, Any] = {}
    for key, value in config_settings.items():
        if key in OWNED_KEYS:
            ours[key] = value
        elif isinstance(key, str) and _looks_ours(key):
            import difflib

            close = difflib.get_close_matches(key, OWNED_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InvalidConfigSetting(
                f"unknown varwheel config setting {key!r}{hint}; varwheel understands "
                f"{', '.join(OWNED_KEYS)}"
            )
        else:
            rest[key] = value
    return ours, rest


def _looks_ours(key: str) -> bool:
    k = key.lstrip("-").lower().replace("_", "-")
    return k.startswith("variant") or k.startswith("null-variant")


def _strings(key: str, value: Any) -> List[str]:
    """A setting that may be a string or a list of strings (repeated ``-C``)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        out: List[str] = []
        for item in value:
            if not isinstance(item, str):
                raise InvalidConfigSetting(f"config setting {key!r}: expected strings, got {item!r} in {value!r}")
            out.append(item)
        return out
    raise InvalidConfigSetting(f"config setting {key!r}: expected a string or a list of strings, got {value!r}")


def _single(key: str, value: Any) -> str:
    """A setting given once (repeating it with the same value is tolerated)."""
    values = _strings(key, value)
    distinct = sorted(set(values))
    if len(distinct) != 1:
        raise InvalidConfigSetting(
            f"config setting {key!r} was given {len(values)} times with different values "
            f"{values!r}: give it once"
        )
    return distinct[0]


def _flag(key: str, value: Any, *, allow_false: bool) -> bool:
    items = value if isinstance(value, (list, tuple)) else [value]
    results = set()
    for item in items:
        if isinstance(item, bool):
            if not item and not allow_false:
                raise InvalidConfigSetting(
                    f"config setting {key!r} is false; to build something else, leave {key!r} out"
                )
            results.add(item)
            continue
        if not isinstance(item, str):
            raise InvalidConfigSetting(f"config setting {key!r}: expected a boolean, got {item!r}")
        text = item.strip().lower()
        if text in _TRUE:
            results.add(True)
        elif allow_false and text in _FALSE:
            results.add(False)
        else:
            accepted = ", ".join(repr(v) for v in _TRUE + (_FALSE if allow_false else ()))
            extra = "" if allow_false else f"; to build a variant with properties, leave {key!r} out"
            raise InvalidConfigSetting(f"config setting {key}={item!r} is not understood: use one of {accepted}{extra}")
    if len(results) != 1:
        raise InvalidConfigSetting(f"config setting {key!r} was given both true and false values: {items!r}")
    return results.pop()


def parse_settings(config_settings: Optional[Mapping[str, Any]]) -> Tuple[VariantSettings, Optional[Dict[str, Any]]]:
    """Split ``config_settings``; parse varwheel's part into :class:`VariantSettings`.

    Returns ``(settings, rest)`` where ``rest`` is what the inner backend gets.
    Only the shape of values is checked here; properties and labels are
    validated by :func:`varwheel.model.request.resolve_variant`.
    """
    ours, rest = split_config_settings(config_settings)
    properties: List[str] = []
    for key in PROPERTY_KEYS:
        if key in ours:
            properties += _strings(key, ours[key])
    names = _strings(NAME_KEY, ours[NAME_KEY]) if NAME_KEY in ours else []
    for key, items in (("variant", properties), (NAME_KEY, names)):
        empty = [i for i in items if not i.strip()]
        if empty:
            raise InvalidConfigSetting(
                f"config setting {key!r} is empty: give a property 'namespace :: feature :: value' "
                "(for the null variant use -Cnull-variant)"
            )
    label = _single(LABEL_KEY, ours[LABEL_KEY]) if LABEL_KEY in ours else None
    null = _flag(NULL_KEY, ours[NULL_KEY], allow_false=False) if NULL_KEY in ours else False
    defer = _flag(DEFER_KEY, ours[DEFER_KEY], allow_false=True) if DEFER_KEY in ours else None
    fmt = _single(FORMAT_KEY, ours[FORMAT_KEY]) if FORMAT_KEY in ours else None
    settings = VariantSettings(
        properties=tuple(p.strip() for p in properties),
        names=tuple(n.strip() for n in names),
        label=label,
        null=null,
        defer_label=defer,
        metadata_format=fmt,
    )
    if settings.defer_label and not settings.requested:
        raise InvalidConfigSetting(
            f"{DEFER_KEY}=true was given but no variant, so there is no label to defer: add "
            "-Cvariant=..., -Cvariant-label=... or -Cnull-variant, or drop the setting"
        )
    return settings, rest
