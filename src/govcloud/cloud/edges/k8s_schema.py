r"""Edge: validate Kubernetes manifests offline against the schemas shipped by ``kubernetes-validate``.

The ``kubernetes-validate`` package ships the official OpenAPI-derived JSON schemas of every Kubernetes
minor version it supports, as ``kubernetes-json-schema/v<X.Y.Z>-local[-strict]/`` package data:

- one file per type, named ``<kind lowercased>-<group without domain>-<version>.json`` (core types have no
  group: ``namespace-v1.json``; ``rbac.authorization.k8s.io/v1`` becomes ``rbac-v1``), whose ``$ref``\\ s point
  into ``_definitions.json`` of the same directory;
- a ``-strict`` twin of every directory, where every object schema (the top-level file and every definition)
  says ``additionalProperties: false``. Strict mode is nothing more than reading the ``-strict`` directory.

``kubernetes_validate.validate()`` re-reads and re-parses the schema and the 1.2 MB definitions file on every
call. This module reads the same files, but builds one ``referencing`` registry per directory (so the
definitions are parsed once) and one Draft 2020-12 validator per (apiVersion, kind), lazily, and caches both.
Verdicts are the same as ``kubernetes_validate.validate()``'s for every real kind; differences, on purpose:

- only files that declare the (group, version, kind) in ``x-kubernetes-group-version-kind`` count as kinds,
  so ``kind: DeploymentSpec`` is an unknown kind here (``kubernetes-validate`` would validate it against the
  spec's schema);
- every problem is reported, not only the first one;
- version numbers are compared numerically (``kubernetes-validate`` compares strings).

Gateway API kinds (``gateway.networking.k8s.io``: GatewayClass, Gateway, HTTPRoute) and cert-manager's Certificate
(``cert-manager.io/v1``) are CRDs, not in the official schemas.
They are validated against a small *partial* schema bundled here (:data:`GATEWAY_API_SCHEMAS`): the
top-level object and ``metadata`` (the official ``ObjectMeta``) follow the strict setting, and the fields of
``spec`` that the programme uses are type-checked with their required fields, ranges and enums; unknown
fields inside ``spec`` are tolerated even in strict mode. :meth:`KubernetesSchemas.check` says which source
checked an object (``coverage``), so a caller can tell "valid" from "valid as far as the partial CRD schema
goes". Like every schema check, nothing here catches what only an API server checks (selector vs template
labels, name syntax, admission).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Mapping, Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Final, Literal

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from govcloud.errors import GovcloudError

SCHEMA_PACKAGE: Final = "kubernetes_validate"
_SCHEMA_ROOT: Final = "kubernetes-json-schema"
_DIR_PATTERN: Final = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-local(-strict)?$")
_MESSAGE_LIMIT: Final = 300

Coverage = Literal["kubernetes", "crd-partial", "none"]


class SchemaVersionError(GovcloudError, ValueError):
    """The requested Kubernetes version is not among the versions the installed schemas cover."""


@dataclasses.dataclass(frozen=True)
class SchemaCheck:
    """The outcome of validating one manifest.

    ``coverage`` is ``"kubernetes"`` when the official schema checked it, ``"crd-partial"`` when the bundled
    partial Gateway API schema did, and ``"none"`` when no schema was found (then ``problems`` says so).
    """

    api_version: str
    kind: str
    coverage: Coverage
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def supported_versions() -> list[str]:
    """The Kubernetes minor versions (``"1.25"``, ...) whose schemas the installed package ships, oldest first."""
    return [_minor_text(v) for v in sorted(_shipped_dirs())]


def latest_version() -> str:
    """The newest Kubernetes minor version whose schemas are shipped."""
    versions = supported_versions()
    if not versions:
        raise SchemaVersionError(f"the installed {SCHEMA_PACKAGE} package ships no schemas")
    return versions[-1]


@functools.cache
def shared_schemas(version: str = "1.30", strict: bool = True) -> KubernetesSchemas:
    """One process-wide :class:`KubernetesSchemas` per (version, strict), so its caches are shared."""
    return KubernetesSchemas(version, strict)


class KubernetesSchemas:
    """Validators for one Kubernetes version, built from the shipped schema files and cached per kind.

    ``version`` is ``"1.30"``, ``"v1.30"`` or ``"1.30.2"``; as in ``kubernetes-validate``, the schemas used are
    those of the newest shipped version not newer than it. ``strict`` rejects fields that the schema does not
    declare (the ``-strict`` schema directory).
    """

    def __init__(self, version: str = "1.30", strict: bool = True) -> None:
        wanted = _parse_version(version)
        shipped = _shipped_dirs()
        candidates = [v for v in shipped if v[:2] <= wanted[:2]]
        if not candidates or wanted[:2] > max(shipped)[:2]:
            raise SchemaVersionError(
                f"no shipped Kubernetes schemas for version {version}; "
                f"{SCHEMA_PACKAGE} ships {', '.join(supported_versions())}"
            )
        chosen = max(candidates)
        self.version: Final[str] = _minor_text(chosen)
        self.strict: Final[bool] = strict
        self.schema_dir: Final[str] = "v{}.{}.{}-local".format(*chosen) + ("-strict" if strict else "")
        self._dir: Traversable = files(SCHEMA_PACKAGE) / _SCHEMA_ROOT / self.schema_dir
        self._registry: Registry[Any] | None = None
        self._validators: dict[tuple[str, str], Draft202012Validator | None] = {}
        self._unknown: dict[tuple[str, str], str] = {}

    def __repr__(self) -> str:
        return f"KubernetesSchemas(version={self.version!r}, strict={self.strict!r})"

    def validate(self, manifest: Mapping[str, Any]) -> list[str]:
        """Every problem with ``manifest``, as ``path: message`` strings; empty when it is valid."""
        return list(self.check(manifest).problems)

    def check(self, manifest: Mapping[str, Any]) -> SchemaCheck:
        """Validate ``manifest`` and say which schema checked it (see :class:`SchemaCheck`)."""
        api_version = manifest.get("apiVersion") if isinstance(manifest, Mapping) else None
        kind = manifest.get("kind") if isinstance(manifest, Mapping) else None
        if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
            return SchemaCheck(
                str(api_version or ""),
                str(kind or ""),
                "none",
                ("(root): apiVersion and kind must be non-empty strings",),
            )
        validator = self.validator(api_version, kind)
        if validator is None:
            key = (api_version, kind)
            if key not in self._unknown:
                self._unknown[key] = self._unknown_message(api_version, kind)
            return SchemaCheck(api_version, kind, "none", (self._unknown[key],))
        coverage: Coverage = "crd-partial" if (api_version, kind) in GATEWAY_API_SCHEMAS else "kubernetes"
        errors = sorted(validator.iter_errors(_plain(manifest)), key=_error_sort_key)
        problems = tuple(dict.fromkeys(_render_error(e) for e in errors))
        return SchemaCheck(api_version, kind, coverage, problems)

    def knows(self, api_version: str, kind: str) -> bool:
        """Whether there is a schema (official or bundled) for this apiVersion and kind."""
        return self.validator(api_version, kind) is not None

    def validator(self, api_version: str, kind: str) -> Draft202012Validator | None:
        """The cached validator for an apiVersion and kind, built on first use; ``None`` for an unknown kind."""
        key = (api_version, kind)
        if key not in self._validators:
            schema = self._schema_for(api_version, kind)
            self._validators[key] = None if schema is None else Draft202012Validator(schema, registry=self.registry())
        return self._validators[key]

    def registry(self) -> Registry[Any]:
        """The one registry of this schema directory, holding its ``_definitions.json``; built once."""
        if self._registry is None:
            definitions = json.loads((self._dir / "_definitions.json").read_text(encoding="utf-8"))
            resource = Resource.from_contents(definitions, default_specification=DRAFT202012)
            self._registry = Registry().with_resource(definitions["$id"], resource).crawl()
        return self._registry

    def cached_kinds(self) -> list[tuple[str, str]]:
        """The (apiVersion, kind) pairs looked up so far, known or not."""
        return sorted(self._validators)

    def _schema_for(self, api_version: str, kind: str) -> dict[str, Any] | None:
        bundled = GATEWAY_API_SCHEMAS.get((api_version, kind))
        if bundled is not None:
            return _bundled_schema(api_version, kind, bundled, self.strict)
        path = self._dir / _schema_file_name(api_version, kind)
        if not path.is_file():
            return None
        schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        group, _, version = api_version.rpartition("/")
        declared = schema.get("x-kubernetes-group-version-kind", [])
        if {"group": group, "version": version, "kind": kind} not in declared:
            return None
        return schema

    def _unknown_message(self, api_version: str, kind: str) -> str:
        message = f"(root): unknown kind/apiVersion {kind} {api_version} for Kubernetes {self.version}"
        known = sorted(
            {key[0] for key in GATEWAY_API_SCHEMAS if key[1] == kind}
            | {
                ("/".join(filter(None, (gvk["group"], gvk["version"]))))
                for gvk in self._declared_kinds(kind)
                if gvk["kind"] == kind
            }
        )
        if known:
            message += f" (known apiVersions of {kind}: {', '.join(known)})"
        return message

    def _declared_kinds(self, kind: str) -> list[dict[str, str]]:
        prefix = kind.lower() + "-"
        found: list[dict[str, str]] = []
        for entry in self._dir.iterdir():
            if entry.name.startswith(prefix) and entry.name.endswith(".json"):
                schema = json.loads(entry.read_text(encoding="utf-8"))
                found.extend(schema.get("x-kubernetes-group-version-kind", []))
        return found


def _schema_file_name(api_version: str, kind: str) -> str:
    # Same rule as kubernetes_validate.utils.validate: drop the group's domain, "/" becomes "-".
    # e.g. rbac.authorization.k8s.io/v1 -> rbac-v1, apps/v1 -> apps-v1, v1 -> v1
    short = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{short}.json"


def _shipped_dirs() -> list[tuple[int, int, int]]:
    root = files(SCHEMA_PACKAGE) / _SCHEMA_ROOT
    found: set[tuple[int, int, int]] = set()
    for entry in root.iterdir():
        match = _DIR_PATTERN.match(entry.name)
        if match:
            found.add((int(match[1]), int(match[2]), int(match[3])))
    return sorted(found)


def _parse_version(version: str) -> tuple[int, int]:
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", version.strip())
    if match is None:
        raise SchemaVersionError(f"not a Kubernetes version: {version!r} (expected e.g. 1.30)")
    return int(match[1]), int(match[2])


def _minor_text(version: tuple[int, ...]) -> str:
    return f"{version[0]}.{version[1]}"


def _plain(value: Any) -> Any:
    """Mappings to dicts and tuples to lists, recursively: jsonschema's types are dict and list."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        return [_plain(item) for item in value]
    return value


def _error_sort_key(error: ValidationError) -> tuple[tuple[tuple[int, int, str], ...], str]:
    path = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in error.absolute_path)
    return path, error.message


def _render_path(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text or "(root)"


def _render_error(error: ValidationError) -> str:
    message = error.message
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 1] + "…"
    return f"{_render_path(error.absolute_path)}: {message}"


# --- Gateway API (CRDs): a partial schema of the v1 standard channel -------------------------------------

_DEFINITIONS_ID: Final = "https://kubernetes.io/api/_definitions.json"
_OBJECT_META: Final = {"$ref": f"{_DEFINITIONS_ID}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
_LABEL_SELECTOR: Final = {"$ref": f"{_DEFINITIONS_ID}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"}

_NAME: Final = {"type": "string", "minLength": 1, "maxLength": 253}
_SECTION_NAME: Final = {"type": "string", "minLength": 1, "maxLength": 253}
_PORT: Final = {"type": "integer", "minimum": 1, "maximum": 65535}
_HOSTNAME: Final = {"type": "string", "minLength": 1, "maxLength": 253}
_STRING_MAP: Final = {"type": "object", "additionalProperties": {"type": "string"}}

_PARENT_REF: Final = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "group": {"type": "string"},
        "kind": {"type": "string"},
        "namespace": {"type": "string"},
        "name": _NAME,
        "sectionName": _SECTION_NAME,
        "port": _PORT,
    },
}
_OBJECT_REF: Final = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "group": {"type": "string"},
        "kind": {"type": "string"},
        "name": _NAME,
        "namespace": {"type": "string"},
    },
}
_HEADER_MATCH: Final = {
    "type": "object",
    "required": ["name", "value"],
    "properties": {
        "type": {"enum": ["Exact", "RegularExpression"]},
        "name": {"type": "string", "minLength": 1},
        "value": {"type": "string"},
    },
}
_HEADER_MODIFIER: Final = {
    "type": "object",
    "properties": {
        "set": {"type": "array", "items": {"type": "object", "required": ["name", "value"]}},
        "add": {"type": "array", "items": {"type": "object", "required": ["name", "value"]}},
        "remove": {"type": "array", "items": {"type": "string"}},
    },
}
_HTTP_ROUTE_FILTER: Final = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {
            "enum": [
                "RequestHeaderModifier",
                "ResponseHeaderModifier",
                "RequestMirror",
                "RequestRedirect",
                "URLRewrite",
                "ExtensionRef",
                "CORS",
            ]
        },
        "requestHeaderModifier": _HEADER_MODIFIER,
        "responseHeaderModifier": _HEADER_MODIFIER,
        "requestMirror": {"type": "object", "required": ["backendRef"]},
        "requestRedirect": {
            "type": "object",
            "properties": {
                "scheme": {"enum": ["http", "https"]},
                "hostname": _HOSTNAME,
                "port": _PORT,
                "statusCode": {"enum": [301, 302, 303, 307, 308]},
            },
        },
        "urlRewrite": {"type": "object"},
        "extensionRef": {"type": "object", "required": ["group", "kind", "name"]},
    },
}
_HTTP_BACKEND_REF: Final = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "group": {"type": "string"},
        "kind": {"type": "string"},
        "name": _NAME,
        "namespace": {"type": "string"},
        "port": _PORT,
        "weight": {"type": "integer", "minimum": 0, "maximum": 1000000},
        "filters": {"type": "array", "maxItems": 16, "items": _HTTP_ROUTE_FILTER},
    },
}
_HTTP_ROUTE_MATCH: Final = {
    "type": "object",
    "properties": {
        "path": {
            "type": "object",
            "properties": {
                "type": {"enum": ["Exact", "PathPrefix", "RegularExpression"]},
                "value": {"type": "string", "maxLength": 1024},
            },
        },
        "headers": {"type": "array", "maxItems": 16, "items": _HEADER_MATCH},
        "queryParams": {"type": "array", "maxItems": 16, "items": _HEADER_MATCH},
        "method": {"enum": ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]},
    },
}
_HTTP_ROUTE_SPEC: Final = {
    "type": "object",
    "properties": {
        "parentRefs": {"type": "array", "maxItems": 32, "items": _PARENT_REF},
        "hostnames": {"type": "array", "maxItems": 16, "items": _HOSTNAME},
        "rules": {
            "type": "array",
            "maxItems": 16,
            "items": {
                "type": "object",
                "properties": {
                    "name": _SECTION_NAME,
                    "matches": {"type": "array", "maxItems": 64, "items": _HTTP_ROUTE_MATCH},
                    "filters": {"type": "array", "maxItems": 16, "items": _HTTP_ROUTE_FILTER},
                    "backendRefs": {"type": "array", "maxItems": 16, "items": _HTTP_BACKEND_REF},
                    "timeouts": {
                        "type": "object",
                        "properties": {"request": {"type": "string"}, "backendRequest": {"type": "string"}},
                    },
                },
            },
        },
    },
}
_GATEWAY_SPEC: Final = {
    "type": "object",
    "required": ["gatewayClassName", "listeners"],
    "properties": {
        "gatewayClassName": _NAME,
        "listeners": {
            "type": "array",
            "minItems": 1,
            "maxItems": 64,
            "items": {
                "type": "object",
                "required": ["name", "port", "protocol"],
                "properties": {
                    "name": _SECTION_NAME,
                    "hostname": _HOSTNAME,
                    "port": _PORT,
                    "protocol": {"type": "string", "minLength": 1, "maxLength": 255},
                    "tls": {
                        "type": "object",
                        "properties": {
                            "mode": {"enum": ["Terminate", "Passthrough"]},
                            "certificateRefs": {"type": "array", "maxItems": 64, "items": _OBJECT_REF},
                            "options": _STRING_MAP,
                        },
                    },
                    "allowedRoutes": {
                        "type": "object",
                        "properties": {
                            "namespaces": {
                                "type": "object",
                                "properties": {
                                    "from": {"enum": ["All", "Selector", "Same"]},
                                    "selector": _LABEL_SELECTOR,
                                },
                            },
                            "kinds": {
                                "type": "array",
                                "maxItems": 8,
                                "items": {
                                    "type": "object",
                                    "required": ["kind"],
                                    "properties": {"group": {"type": "string"}, "kind": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
            },
        },
        "addresses": {
            "type": "array",
            "maxItems": 16,
            "items": {
                "type": "object",
                "required": ["value"],
                "properties": {"type": {"type": "string"}, "value": {"type": "string", "minLength": 1}},
            },
        },
        "infrastructure": {
            "type": "object",
            "properties": {"labels": _STRING_MAP, "annotations": _STRING_MAP, "parametersRef": {"type": "object"}},
        },
    },
}

_GATEWAY_CLASS_SPEC: Final = {
    "type": "object",
    "required": ["controllerName"],
    "properties": {
        # the CRD's own limits: a domain-prefixed path for the controller, 64 characters of description
        "controllerName": {
            "type": "string",
            "minLength": 1,
            "maxLength": 253,
            "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
            r"\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$",
        },
        "description": {"type": "string", "maxLength": 64},
        "parametersRef": {
            "type": "object",
            "required": ["group", "kind", "name"],
            "properties": {
                "group": {"type": "string"},
                "kind": {"type": "string"},
                "name": _NAME,
                "namespace": {"type": "string"},
            },
        },
    },
}
_CERTIFICATE_SPEC: Final = {
    "type": "object",
    "required": ["issuerRef", "secretName"],
    "properties": {
        "secretName": _NAME,
        "issuerRef": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": _NAME, "kind": {"type": "string"}, "group": {"type": "string"}},
        },
        "dnsNames": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "ipAddresses": {"type": "array", "items": {"type": "string"}},
        "uris": {"type": "array", "items": {"type": "string"}},
        "emailAddresses": {"type": "array", "items": {"type": "string"}},
        "commonName": {"type": "string", "maxLength": 64},
        "duration": {"type": "string"},
        "renewBefore": {"type": "string"},
        "isCA": {"type": "boolean"},
        "usages": {"type": "array", "items": {"type": "string"}},
        "privateKey": {
            "type": "object",
            "properties": {
                "algorithm": {"enum": ["RSA", "ECDSA", "Ed25519"]},
                "encoding": {"enum": ["PKCS1", "PKCS8"]},
                "rotationPolicy": {"enum": ["Never", "Always"]},
                "size": {"type": "integer"},
            },
        },
        "secretTemplate": {"type": "object", "properties": {"annotations": _STRING_MAP, "labels": _STRING_MAP}},
        "subject": {"type": "object"},
    },
}

GATEWAY_API_SCHEMAS: Final[Mapping[tuple[str, str], Mapping[str, Any]]] = {
    ("gateway.networking.k8s.io/v1", "GatewayClass"): _GATEWAY_CLASS_SPEC,
    ("gateway.networking.k8s.io/v1beta1", "GatewayClass"): _GATEWAY_CLASS_SPEC,
    ("cert-manager.io/v1", "Certificate"): _CERTIFICATE_SPEC,
    ("gateway.networking.k8s.io/v1", "Gateway"): _GATEWAY_SPEC,
    ("gateway.networking.k8s.io/v1beta1", "Gateway"): _GATEWAY_SPEC,
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): _HTTP_ROUTE_SPEC,
    ("gateway.networking.k8s.io/v1beta1", "HTTPRoute"): _HTTP_ROUTE_SPEC,
}
"""Partial ``spec`` schemas of the CRD kinds govcloud renders (Gateway API, cert-manager's Certificate), keyed by
(apiVersion, kind); see the module docstring."""


def _bundled_schema(api_version: str, kind: str, spec: Mapping[str, Any], strict: bool) -> dict[str, Any]:
    # The schema's $id places it under https://kubernetes.io/api/, like the shipped ones, so the shared
    # registry resolves the ObjectMeta $ref to the (strict or plain) official definition.
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://kubernetes.io/api/govcloud-bundled/gateway-api",
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": _OBJECT_META,
            "spec": spec,
            "status": {"type": "object"},
        },
    }
    if strict:
        schema["additionalProperties"] = False
    return schema
