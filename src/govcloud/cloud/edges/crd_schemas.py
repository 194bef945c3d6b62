"""Edge: validate custom resources against the complete schemas of their upstream CRDs.

The Kubernetes schemas that ``kubernetes-validate`` ships (:mod:`govcloud.cloud.edges.k8s_schema`) have no
custom resources. The kinds govcloud renders from CRDs, Gateway API's GatewayClass, Gateway and HTTPRoute and
cert-manager's Certificate, are checked here against validators generated from each project's released CRD
``openAPIV3Schema`` (every field, pattern, enum, range and length limit), as the npm packages
``@kubernetes-models/gateway-api`` and ``@kubernetes-models/cert-manager`` ship them (ajv validators compiled
from the CRDs; MIT). Node runs them: ``crd_validator/validate.mjs`` beside this module reads every manifest
as one JSON array on stdin and answers one result per manifest, so a render pays one process start.

The versions are pinned by ``crd_validator/package-lock.json`` (with integrity hashes); ``scripts/install.sh``
installs them with ``npm ci``. A directory of one's own (another pin) can be named by
``$GOVCLOUD_CRD_VALIDATOR``.

What a schema cannot check is not checked here either: the CRDs' CEL rules (``x-kubernetes-validations``,
such as "a TLS listener needs certificateRefs"), which only an API server evaluates, and unknown fields
(an API server prunes or, with strict field validation, rejects them; the bundled partial schema of
:mod:`k8s_schema` rejects them at the top level and in ``metadata``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from govcloud.errors import GovcloudError
from govcloud.plain import plain

VALIDATOR_DIR: Final = Path(__file__).with_name("crd_validator")
"""Where the validator script, its package.json and its lock file live (node_modules installed beside them)."""
DIRECTORY_VARIABLE: Final = "GOVCLOUD_CRD_VALIDATOR"
_SCRIPT: Final = "validate.mjs"
_PACKAGES: Final = ("@kubernetes-models/gateway-api", "@kubernetes-models/cert-manager")
_TIMEOUT_SECONDS: Final = 600
_MESSAGE_LIMIT: Final = 300


class CrdSchemasUnavailable(GovcloudError):
    """The complete CRD schemas are not installed (or node cannot run them); says how to install them."""


@dataclasses.dataclass(frozen=True)
class CrdValidator:
    """The installed validator: node, the script's directory, the kinds it knows and the pinned packages."""

    node: str
    directory: Path
    kinds: frozenset[tuple[str, str]]
    packages: tuple[tuple[str, str], ...]
    """(package, version) of every schema package, as installed."""

    @property
    def label(self) -> str:
        """How a problem names the schema that found it, e.g. ``gateway-api 2.0.0``."""
        return ", ".join(f"{name.rpartition('/')[2]} {version}" for name, version in self.packages)

    def knows(self, manifest: Mapping[str, Any]) -> bool:
        return (str(manifest.get("apiVersion")), str(manifest.get("kind"))) in self.kinds

    def validate(self, manifests: Sequence[Mapping[str, Any]]) -> list[tuple[str, ...]]:
        """Every problem of each manifest (``path: message``, paths as ``spec.listeners[0].name``), in order.

        Raises :class:`CrdSchemasUnavailable` for a manifest of a kind the validator does not know (call
        :meth:`knows` first) or when node fails.
        """
        if not manifests:
            return []
        unknown = sorted({f"{m.get('kind')} {m.get('apiVersion')}" for m in manifests if not self.knows(m)})
        if unknown:
            raise CrdSchemasUnavailable(f"no CRD schema for {', '.join(unknown)} in {self.directory}")
        answer = _run(self, ["--validate"], json.dumps([plain(m) for m in manifests]))
        results = json.loads(answer)
        if not isinstance(results, list) or len(results) != len(manifests):
            raise CrdSchemasUnavailable(f"{self.directory / _SCRIPT} answered {len(results)} results")
        return [tuple(dict.fromkeys(_problem(error) for error in result["errors"])) for result in results]


def installed(directory: Path | None = None) -> CrdValidator | None:
    """The validator if node and the pinned packages are installed, else ``None`` (:func:`require` says why)."""
    try:
        return require(directory)
    except CrdSchemasUnavailable:
        return None


def require(directory: Path | None = None) -> CrdValidator:
    """The validator, or :class:`CrdSchemasUnavailable` naming what is missing and the command that installs it."""
    chosen = directory or Path(os.environ.get(DIRECTORY_VARIABLE) or VALIDATOR_DIR)
    return _load(chosen.resolve())


@functools.cache
def _load(directory: Path) -> CrdValidator:
    install = f"npm ci --prefix {directory} (scripts/install.sh does it)"
    node = shutil.which("node")
    if node is None:
        raise CrdSchemasUnavailable(
            f"the complete CRD schemas need Node.js: install nodejs and npm, then {install}; "
            "or render with --crd-schemas partial"
        )
    if not (directory / _SCRIPT).is_file():
        raise CrdSchemasUnavailable(
            f"{directory}: no {_SCRIPT} (set ${DIRECTORY_VARIABLE} to the validator's directory)"
        )
    packages: list[tuple[str, str]] = []
    for package in _PACKAGES:
        manifest = directory / "node_modules" / package / "package.json"
        if not manifest.is_file():
            raise CrdSchemasUnavailable(
                f"the complete CRD schemas are not installed ({package} missing in {directory}): run {install}; "
                "or render with --crd-schemas partial"
            )
        packages.append((package, str(json.loads(manifest.read_text(encoding="utf-8"))["version"])))
    probe = CrdValidator(node, directory, frozenset(), tuple(packages))
    kinds = json.loads(_run(probe, ["--kinds"], ""))
    pairs = frozenset(tuple(entry.split(" ", 1)) for entry in kinds)
    return dataclasses.replace(probe, kinds=frozenset((a, b) for a, b in pairs))


def _run(validator: CrdValidator, arguments: list[str], stdin: str) -> str:
    try:
        done = subprocess.run(
            [validator.node, str(validator.directory / _SCRIPT), *arguments],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CrdSchemasUnavailable(f"node could not run {validator.directory / _SCRIPT}: {error}") from error
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or ["(no message)"]
        raise CrdSchemasUnavailable(f"{validator.directory / _SCRIPT} failed (exit {done.returncode}): {detail[0]}")
    return done.stdout


def _problem(error: Mapping[str, Any]) -> str:
    path = _render_path(str(error.get("path") or ""))
    message = str(error.get("message") or error.get("keyword") or "invalid")
    params = error.get("params") or {}
    if error.get("keyword") == "enum" and "allowedValues" in params:
        message += ": " + ", ".join(json.dumps(v, ensure_ascii=False) for v in params["allowedValues"])
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 1] + "…"
    return f"{path}: {message}"


def _render_path(pointer: str) -> str:
    """A JSON pointer (``/spec/listeners/0/name``) in the form :mod:`k8s_schema` prints (``spec.listeners[0].name``)."""
    text = ""
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if part.isdigit():
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text or "(root)"
