"""Custom resources (Gateway API, cert-manager) against their complete upstream CRD schemas, run by Node.js.

The validator is installed by ``scripts/install.sh`` (``npm ci`` of the pinned packages); these tests use the
real one. What the partial bundled schema lets through and the complete one refuses is the point of it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govcloud.app import rendering
from govcloud.cli import app
from govcloud.cloud.core import desired, policies
from govcloud.cloud.edges import crd_schemas, k8s_schema, shape_cache
from govcloud.core.settings import Settings
from test_render import INVENTORY, PLANS, progress_sources, rendered

runner = CliRunner()
CRD_KINDS = {"GatewayClass", "Gateway", "HTTPRoute", "Certificate"}


@pytest.fixture(scope="module")
def crds() -> crd_schemas.CrdValidator:
    return crd_schemas.require()


def _first(kind: str, holding: str = "") -> dict[str, Any]:
    """A deep copy of the first rendered object of ``kind`` whose JSON holds ``holding``."""
    return copy.deepcopy(
        next(m for m in rendered("constructed") if m["kind"] == kind and holding in json.dumps(m["spec"]))
    )


@pytest.mark.parametrize("source", progress_sources())
def test_every_rendered_custom_resource_is_known_to_and_valid_against_its_crd_schema(
    source: str, crds: crd_schemas.CrdValidator
) -> None:
    custom = [m for m in rendered(source) if "/" in m["apiVersion"] and m["kind"] in CRD_KINDS]
    assert {m["kind"] for m in custom} == CRD_KINDS
    assert all(crds.knows(m) for m in custom)
    assert crds.validate(custom) == [()] * len(custom)


def _broken() -> list[tuple[dict[str, Any], str]]:
    """Objects broken the ways only the complete schemas see, each with the path the schema must name."""
    name = _first("Gateway")
    name["spec"]["listeners"][0]["name"] = "Public_HTTPS"
    listener_host = _first("Gateway")
    listener_host["spec"]["listeners"][0]["hostname"] = "gateway egov internal"
    hostname = _first("HTTPRoute")
    hostname["spec"]["hostnames"] = ["bad..host.gov.cn"]
    backend_kind = _first("HTTPRoute", holding="backendRefs")
    backend_kind["spec"]["rules"][0]["backendRefs"][0]["kind"] = ""
    usages = _first("Certificate")
    usages["spec"]["usages"] = ["anything goes"]
    return [
        (name, "spec.listeners[0].name"),
        (listener_host, "spec.listeners[0].hostname"),
        (hostname, "spec.hostnames[0]"),
        (backend_kind, "spec.rules[0].backendRefs[0].kind"),
        (usages, "spec.usages[0]"),
    ]


def test_the_complete_schemas_refuse_what_the_partial_schema_lets_through(crds: crd_schemas.CrdValidator) -> None:
    partial = k8s_schema.shared_schemas("1.30", True)
    broken = _broken()
    # the partial schema lets each of them through: that is the gap the complete schemas close
    assert [partial.validate(m) for m, _ in broken] == [[]] * len(broken)
    verdicts = crds.validate([m for m, _ in broken])
    for (manifest, path), problems in zip(broken, verdicts, strict=True):
        assert any(p.startswith(f"{path}: ") for p in problems), (manifest["kind"], path, problems)


def test_check_manifests_names_the_object_and_the_crd_schema(crds: crd_schemas.CrdValidator) -> None:
    (gateway, _), *_ = _broken()
    problems = rendering.check_manifests(
        [gateway],
        schemas=shape_cache.ShapeCachedValidator(k8s_schema.shared_schemas("1.30", True)),
        crds=crds,
        rules=policies.PlacementRules.from_settings(Settings().cloud),
    )
    name = desired.qualified_name(gateway)
    assert any(p.startswith(f"{name}: CRD schema (gateway-api ") and "spec.listeners[0].name: " in p for p in problems)
    without = rendering.check_manifests(
        [gateway],
        schemas=shape_cache.ShapeCachedValidator(k8s_schema.shared_schemas("1.30", True)),
        rules=policies.PlacementRules.from_settings(Settings().cloud),
    )
    assert not any("spec.listeners[0].name" in p for p in without)


def test_an_unknown_kind_is_refused_not_passed(crds: crd_schemas.CrdValidator) -> None:
    stranger = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "TeleportRoute", "metadata": {"name": "x"}}
    assert not crds.knows(stranger)
    with pytest.raises(crd_schemas.CrdSchemasUnavailable, match="no CRD schema for TeleportRoute"):
        crds.validate([stranger])


def test_a_missing_installation_is_named_with_the_command_that_installs_it(tmp_path: Path) -> None:
    empty = tmp_path / "validator"
    empty.mkdir()
    (empty / "validate.mjs").write_text((crd_schemas.VALIDATOR_DIR / "validate.mjs").read_text(encoding="utf-8"))
    assert crd_schemas.installed(empty) is None
    with pytest.raises(crd_schemas.CrdSchemasUnavailable, match=r"npm ci --prefix .*validator"):
        crd_schemas.require(empty)


def test_render_refuses_without_the_complete_schemas_and_writes_nothing_unless_told_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "validator"
    empty.mkdir()
    (empty / "validate.mjs").write_text("", encoding="utf-8")
    monkeypatch.setenv(crd_schemas.DIRECTORY_VARIABLE, str(empty))
    out = tmp_path / "out"
    args = ["render", "--inventory", str(INVENTORY), "--plans", str(PLANS), "--out", str(out)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1
    assert "the complete CRD schemas are not installed" in " ".join(refused.output.split())
    assert "Traceback" not in refused.output
    assert not out.exists()
    partial = runner.invoke(app, [*args, "--crd-schemas", "partial"])
    assert partial.exit_code == 0, partial.output
    assert "partial schemas only" in " ".join(partial.output.split())
    assert out.is_dir()


def test_render_reports_the_crd_schema_versions_it_checked_against(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", "--inventory", str(INVENTORY), "--plans", str(PLANS), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lock = json.loads((crd_schemas.VALIDATOR_DIR / "package-lock.json").read_text(encoding="utf-8"))
    gateway = lock["packages"]["node_modules/@kubernetes-models/gateway-api"]["version"]
    assert f"valid against their CRD schemas (gateway-api {gateway}" in " ".join(result.output.split())
