"""Strict Kubernetes schema validation that checks each distinct shape of object once. Edge.

See :class:`ShapeCachedValidator`; ``govcloud render`` and the render benchmark validate through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from govcloud.cloud.edges import k8s_schema

_VALUE_KEYWORDS: Final = frozenset(
    {
        "enum",
        "const",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "uniqueItems",
    }
)
"""Schema keywords whose verdict depends on a value itself, not only on its JSON type and shape."""
_SCHEMA_MAPS: Final = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS: Final = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONES: Final = ("additionalProperties", "items", "not", "if", "then", "else", "contains", "propertyNames")
_LENGTH_KEYWORDS: Final = frozenset({"minItems", "maxItems", "prefixItems", "contains", "uniqueItems"})
"""Schema keywords that see how many items a list has or which one is where (no item deduplication then)."""
_ROOT: Final = ""


class ShapeCachedValidator:
    """Strict schema validation that checks each distinct *shape* of object once.

    Kubernetes' OpenAPI schemas constrain almost only types, required fields and (in strict mode) which keys
    may appear; a value matters only where a schema uses a value keyword (``enum`` on ``apiVersion`` and
    ``kind``, a few others). For each kind, the property names under which such a keyword is reachable are
    found once by walking the schema (following ``$ref``). An object's *shape* keeps every key, every list
    length, every non-string value's type, and the exact value under those property names, and replaces
    every other string by ``""``. Two objects of the same shape get the same verdict from the schema, so
    the verdict is cached per shape; an invalid shape is re-checked on the real object for exact messages.
    A kind whose root itself is value-sensitive, or a validator that asserts ``format``, is checked object by
    object. On a province render this turns ~1,000 objects/s into ~50,000 objects/s with the same verdicts
    (``tests/test_render.py`` compares them).
    """

    def __init__(self, schemas: k8s_schema.KubernetesSchemas) -> None:
        self.schemas = schemas
        self._sensitive: dict[tuple[str, str], frozenset[str] | None] = {}
        self._dedupe: dict[tuple[str, str], bool] = {}
        self._verdicts: dict[tuple[str, str, Any], bool] = {}

    @property
    def version(self) -> str:
        return self.schemas.version

    def check(self, manifest: Mapping[str, Any]) -> k8s_schema.SchemaCheck:
        api_version, kind = manifest.get("apiVersion"), manifest.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return self.schemas.check(manifest)
        key = (api_version, kind)
        if key not in self._sensitive:
            self._sensitive[key] = self._sensitive_names(api_version, kind)
        sensitive = self._sensitive[key]
        if sensitive is None:
            return self.schemas.check(manifest)
        shape = _shape(manifest, sensitive, self._dedupe[key])
        verdict = self._verdicts.get((api_version, kind, shape))
        if verdict is None:
            result = self.schemas.check(manifest)
            self._verdicts[(api_version, kind, shape)] = result.ok
            return result
        if verdict:
            coverage: k8s_schema.Coverage = "crd-partial" if key in k8s_schema.GATEWAY_API_SCHEMAS else "kubernetes"
            return k8s_schema.SchemaCheck(api_version, kind, coverage, ())
        return self.schemas.check(manifest)

    def shapes(self) -> int:
        """How many distinct shapes were checked with the schema so far."""
        return len(self._verdicts)

    def _sensitive_names(self, api_version: str, kind: str) -> frozenset[str] | None:
        validator = self.schemas.validator(api_version, kind)
        if validator is None or validator.format_checker is not None:
            return None
        names: set[str] = set()
        lengths: list[bool] = []
        seen: set[tuple[int, str]] = set()
        registry = self.schemas.registry()
        definitions = registry.contents("https://kubernetes.io/api/_definitions.json")

        def walk(node: Any, owner: str) -> None:
            if not isinstance(node, Mapping) or (id(node), owner) in seen:
                return
            seen.add((id(node), owner))
            if _VALUE_KEYWORDS.intersection(node):
                names.add(owner)
            if _LENGTH_KEYWORDS.intersection(node):
                lengths.append(True)
            ref = node.get("$ref")
            if isinstance(ref, str):
                target = definitions["$defs"].get(ref.rsplit("/", 1)[-1]) if "#/$defs/" in ref else None
                if target is None:
                    names.add(_ROOT)  # a reference this walk cannot follow: no shortcut for the kind
                walk(target, owner)
            for keyword in _SCHEMA_MAPS:
                for name, child in _items(node.get(keyword)):
                    walk(child, name if keyword in ("properties", "patternProperties") else owner)
            for keyword in _SCHEMA_LISTS:
                for child in node.get(keyword) or ():
                    walk(child, owner)
            for keyword in _SCHEMA_ONES:
                walk(node.get(keyword), owner)

        walk(validator.schema, _ROOT)
        self._dedupe[(api_version, kind)] = not lengths
        return None if _ROOT in names else frozenset(names)


def _items(value: Any) -> Iterable[tuple[str, Any]]:
    return value.items() if isinstance(value, Mapping) else ()


def _shape(value: Any, sensitive: frozenset[str], dedupe: bool) -> Any:
    """``value``'s shape as a hashable: every string no value keyword can see becomes ``""``.

    Mappings become ``("{", ((key, shape), ...))`` and lists ``("[", (shape, ...))``; with ``dedupe`` (no length
    keyword in the kind's schema) list items of equal shape are kept once, since each item is checked alone
    against the same ``items`` schema. See :class:`ShapeCachedValidator`.
    """
    kind = type(value)
    if kind is str:
        return ""
    if kind is dict or isinstance(value, Mapping):
        return (
            "{",
            tuple((k, _exact(v) if k in sensitive else _shape(v, sensitive, dedupe)) for k, v in value.items()),
        )
    if kind is list or isinstance(value, list | tuple):
        items = [_shape(v, sensitive, dedupe) for v in value]
        return ("[", tuple(dict.fromkeys(items)) if dedupe else tuple(items))
    if kind is bool:
        return "#bool"  # tags, not values: 0, 0.0 and False are equal (and hash alike) in Python
    if value is None:
        return "#null"
    if kind is int:
        return "#int"
    if kind is float:
        return "#integral-float" if value.is_integer() else "#float"
    return _exact(value)


def _exact(value: Any) -> Any:
    """``value`` itself, as a hashable (its type kept apart: ``1``, ``1.0`` and ``True`` hash alike)."""
    if isinstance(value, Mapping):
        return ("{", tuple((k, _exact(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("[", tuple(_exact(v) for v in value))
    return (type(value).__name__, value)
