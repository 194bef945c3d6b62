"""``govcloud render``: every rendered object of the bundled inventory is valid, files round-trip, the CLI exits."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from govcloud.app import rendering
from govcloud.census.edges import inventory_cache
from govcloud.cli import app
from govcloud.cloud.core import desired, policies
from govcloud.cloud.edges import k8s_schema, manifest_files, shape_cache
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import inventory_files, settings_file
from govcloud.planning.core.stages import Progress, Stage
from govcloud.planning.edges import plan_progress

REPO = Path(__file__).resolve().parents[1]
INVENTORY = REPO / "inventory"
PLANS = REPO / "migrations_plan"
runner = CliRunner()
Manifest = dict[str, Any]


@functools.cache
def bundled() -> model.Inventory:
    return inventory_files.load_inventory(INVENTORY).inventory


def constructed_progress(inventory: model.Inventory) -> dict[str, Progress]:
    """Every placeable system on some stage, in turn none / network / data / business with two callers."""
    settings = Settings()
    departments = sorted(d.code for d in inventory.departments)
    progress: dict[str, Progress] = {}
    placeable = [
        s
        for s in inventory.systems
        if s.cloud is not None and isinstance(desired.place_system(s, settings), desired.Placement)
    ]
    for index, system in enumerate(placeable):
        stage = (None, Stage.NETWORK, Stage.DATA, Stage.BUSINESS)[index % 4]
        if stage is None:
            continue
        callers = tuple(departments[(index + k) % len(departments)] for k in (1, 2)) if stage is Stage.BUSINESS else ()
        progress[system.code] = Progress.at(stage, business_callers=callers)
    return progress


def progress_sources() -> list[str]:
    sources = ["constructed"]
    if plan_progress.load_progress(PLANS, inventory=bundled()):
        sources.insert(0, "bundled-plans")
    return sources


@functools.cache
def rendered(source: str) -> tuple[Manifest, ...]:
    inventory = bundled()
    progress = (
        plan_progress.load_progress(PLANS, inventory=inventory)
        if source == "bundled-plans"
        else constructed_progress(inventory)
    )
    return desired.desired_state(inventory, progress, settings_file.load_settings(INVENTORY)).all()


def test_the_constructed_progress_reaches_every_stage_and_kind() -> None:
    objects = rendered("constructed")
    kinds = {m["kind"] for m in objects}
    assert {
        "Deployment",
        "StatefulSet",
        "Service",
        "NetworkPolicy",
        "HTTPRoute",
        "ResourceQuota",
        "RoleBinding",
    } <= kinds
    stages = {m["metadata"]["labels"].get(desired.STAGE_LABEL) for m in objects}
    assert {"network", "data", "business"} <= stages
    assert any(m["metadata"]["labels"].get(desired.SHARING_LABEL) for m in objects)


@pytest.mark.parametrize("version", ["1.30", k8s_schema.latest_version()])
@pytest.mark.parametrize("source", progress_sources())
def test_every_rendered_object_passes_strict_validation(source: str, version: str) -> None:
    schemas = k8s_schema.shared_schemas(version, True)
    problems = [f"{desired.qualified_name(m)}: {p}" for m in rendered(source) for p in schemas.validate(m)]
    assert problems == []
    coverage = {(m["kind"], schemas.check(m).coverage) for m in rendered(source)}
    # only the CRD kinds are checked against the bundled partial schemas; every core kind fully
    partial = {kind for kind, how in coverage if how == "crd-partial"}
    assert partial <= {"GatewayClass", "Gateway", "HTTPRoute", "Certificate"}
    assert {"GatewayClass", "Gateway", "HTTPRoute", "Certificate"} <= partial
    assert {how for kind, how in coverage if kind not in partial} == {"kubernetes"}


@pytest.mark.parametrize("source", progress_sources())
def test_every_rendered_object_passes_every_policy(source: str) -> None:
    settings = settings_file.load_settings(INVENTORY)
    problems = rendering.check_manifests(
        rendered(source),
        schemas=shape_cache.ShapeCachedValidator(k8s_schema.shared_schemas("1.30", True)),
        rules=policies.PlacementRules.from_settings(settings.cloud),
    )
    assert problems == []


def _broken_variants(objects: tuple[Manifest, ...]) -> list[Manifest]:
    """A few objects of each kind broken the ways a schema catches: wrong types, unknown fields, missing fields."""
    variants: list[Manifest] = []
    seen: set[str] = set()
    for manifest in objects:
        if manifest["kind"] in seen:
            continue
        seen.add(manifest["kind"])
        unknown = copy.deepcopy(manifest)
        unknown["metadata"]["colour"] = "blue"
        wrong_type = copy.deepcopy(manifest)
        wrong_type["metadata"]["labels"] = ["not", "a", "map"]
        bad_kind = copy.deepcopy(manifest)
        bad_kind["apiVersion"] = "v0"
        variants += [unknown, wrong_type, bad_kind]
        if "spec" in manifest:
            no_spec_field = copy.deepcopy(manifest)
            no_spec_field["spec"]["notAField"] = 1
            variants.append(no_spec_field)
        if manifest["kind"] == "Deployment":
            replicas = copy.deepcopy(manifest)
            replicas["spec"]["replicas"] = "three"
            container = copy.deepcopy(manifest)
            container["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "8080"
            boolean = copy.deepcopy(manifest)
            boolean["spec"]["replicas"] = False  # equal to 0 in Python, but not an integer to the schema
            no_image = copy.deepcopy(manifest)
            del no_image["spec"]["template"]["spec"]["containers"][0]["name"]
            variants += [replicas, container, boolean, no_image]
        if manifest["kind"] == "NetworkPolicy":
            rule = copy.deepcopy(manifest)
            rule["spec"][rule["spec"]["policyTypes"][0].lower()] = [{"from": "everyone"}]
            variants.append(rule)
    return variants


@pytest.mark.parametrize("version", ["1.30", k8s_schema.latest_version()])
def test_the_shape_cache_gives_the_same_verdicts_as_validating_each_object(version: str) -> None:
    plain = k8s_schema.KubernetesSchemas(version, strict=True)
    cached = shape_cache.ShapeCachedValidator(plain)
    objects = rendered("constructed")
    variants = _broken_variants(objects)
    assert len(variants) > 30
    for manifest in (*objects, *variants, *objects[:50]):
        assert cached.check(manifest) == plain.check(manifest), desired.qualified_name(manifest)
    assert cached.shapes() < len(objects) / 5


@pytest.mark.parametrize("source", progress_sources())
def test_rendered_files_load_back_as_exactly_the_objects(source: str) -> None:
    state = desired.desired_state(
        bundled(),
        plan_progress.load_progress(PLANS, inventory=bundled())
        if source == "bundled-plans"
        else constructed_progress(bundled()),
        Settings(),
    )
    files = manifest_files.manifest_files(state)
    assert set(files) == {manifest_files.PLATFORM_FILE} | {manifest_files.department_file(c) for c in state.departments}
    loaded = list(yaml.safe_load_all(files[manifest_files.PLATFORM_FILE]))
    for code in sorted(state.departments):
        loaded += list(yaml.safe_load_all(files[manifest_files.department_file(code)]))
    assert loaded == list(state.all())
    assert all(text.startswith(manifest_files.MARKER + "\n---\n") for text in files.values())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yes",
        "No",
        "null",
        "~",
        "0",
        "0.5",
        "1e3",
        "0x1F",
        "-",
        "- a",
        "a: b",
        "#x",
        "a #b",
        "'q'",
        '"q"',
        "@x",
        "*x",
        "&x",
        "!x",
        "%x",
        "`x",
        "{x}",
        "[x]",
        "x,y",
        "?",
        ": x",
        "2026-01-01",
        "临江市",
        "tab\there",
        "\u2028",
        "line\nbreak",
        "two\nlines\n",
        " lead\nx",
        "trailing \nx",
        "\n  indented",
        "a\n\n  b",
        "\x00nul",
        "10.0.0.0/8",
        "a/b.c-d_e",
        "y",
        "on",
        "=",
        "<<",
    ],
)
def test_every_string_round_trips_through_the_emitter(text: str) -> None:
    manifest = {
        "kind": "Test",
        "metadata": {"name": text, "labels": {text or "k": text}},
        "list": [text, [text], {}, []],
    }
    assert list(yaml.safe_load_all(manifest_files.dump_stream([manifest]))) == [manifest]


# --- the command -----------------------------------------------------------------------------------------------


def _render(*args: str) -> Any:
    return runner.invoke(app, ["render", "--inventory", str(INVENTORY), *args])


def test_render_writes_one_file_per_department_and_is_quiet_on_a_second_run(tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    result = _render("--plans", str(PLANS), "--out", str(out))
    assert result.exit_code == 0, result.output
    departments = {d.code for d in bundled().departments}
    assert {p.name for p in out.iterdir()} == {"platform.yaml"} | {f"department-{c.lower()}.yaml" for c in departments}
    output = " ".join(result.output.split())
    assert "Namespace" in output
    assert "objects, valid for Kubernetes 1.30, all policies pass" in output
    before = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
    again = _render("--plans", str(PLANS), "--out", str(out))
    assert again.exit_code == 0, again.output
    assert f"0 written, {len(before)} unchanged" in " ".join(again.output.split())
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == before


def test_render_removes_stale_generated_files_and_keeps_foreign_ones(tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    out.mkdir()
    stale = out / "department-gone.yaml"
    stale.write_text(manifest_files.MARKER + "\n---\nkind: Namespace\n", encoding="utf-8")
    foreign = out / "kustomization.yaml"
    foreign.write_text("resources: []\n", encoding="utf-8")
    result = _render("--plans", str(PLANS), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert foreign.read_text(encoding="utf-8") == "resources: []\n"
    assert "1 stale removed" in " ".join(result.output.split())


def test_render_with_plan_files_provisions_the_systems_they_name(tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    system = next(s for s in bundled().systems if s.cloud is not None and s.mlps_level in (2, 3) and s.ports)
    (plans / f"{system.code}.yaml").write_text(
        f"system: {system.code}\nstages:\n- stage: network\n  status: done\n- stage: data\n  status: in_progress\n"
        "- stage: business\n  status: pending\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = _render("--plans", str(plans), "--out", str(out), "--kubernetes-version", k8s_schema.latest_version())
    assert result.exit_code == 0, result.output
    text = (out / f"department-{system.department.lower()}.yaml").read_text(encoding="utf-8")
    assert f"name: {system.code.lower()}\n" in text
    assert f"{desired.STAGE_LABEL}: data" in text


def test_render_refuses_a_level_5_system_with_progress_naming_it_and_writes_nothing(tmp_path: Path) -> None:
    inventory = bundled()
    victim = next(s for s in inventory.systems if s.cloud is not None)
    changed = inventory.model_copy(
        update={
            "systems": tuple(s.model_copy(update={"mlps_level": 5}) if s is victim else s for s in inventory.systems)
        }
    )
    root = tmp_path / "inventory"
    inventory_files.write_inventory(root, changed)
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / f"{victim.code}.yaml").write_text(
        f"system: {victim.code}\nstages:\n- stage: network\n  status: done\n- stage: data\n- stage: business\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", "--inventory", str(root), "--plans", str(plans), "--out", str(out)])
    assert result.exit_code == 1
    assert f"{victim.code}: MLPS level 5 never goes to a shared cloud" in " ".join(result.output.split())
    assert not out.exists()


def test_render_fails_listing_every_schema_problem_and_violation_by_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = desired.desired_state

    def broken(*args: Any, **kwargs: Any) -> desired.DesiredState:
        state = real(*args, **kwargs)
        code = sorted(state.departments)[0]
        objects = copy.deepcopy(list(state.departments[code]))
        quota = next(m for m in objects if m["kind"] == "ResourceQuota")
        quota["spec"]["hardd"] = quota["spec"].pop("hard")
        objects = [m for m in objects if not (m["kind"] == "NetworkPolicy" and m["metadata"]["name"] == "default-deny")]
        return desired.DesiredState(state.platform, {**state.departments, code: tuple(objects)})

    monkeypatch.setattr(rendering.desired, "desired_state", broken)
    # patching the code in-process is a change the result cache cannot see (it keys on the source files): a
    # render of the same inputs cached by another test would be a hit
    monkeypatch.setenv(inventory_cache.NO_CACHE_ENV, "1")
    out = tmp_path / "out"
    result = _render("--plans", str(PLANS), "--out", str(out))
    assert result.exit_code == 1
    code = sorted(d.code for d in bundled().departments)[0].lower()
    output = " ".join(result.output.split())
    assert f"ResourceQuota/d-{code}/quota: schema 1.30:" in output
    assert f"Namespace/d-{code}: namespace-default-deny: no default-deny NetworkPolicy" in output
    namespaces = _namespaces_of(code.upper())
    assert f"{1 + len(namespaces)} problem(s)" in output  # the quota, and each namespace without default deny
    assert not out.exists()


def _namespaces_of(code: str) -> set[str]:
    return {
        m["metadata"]["name"]
        for m in rendered("constructed")
        if m["kind"] == "Namespace" and m["metadata"]["labels"].get(desired.DEPARTMENT_LABEL) == code
    }


def test_render_rejects_an_unknown_kubernetes_version(tmp_path: Path) -> None:
    result = _render("--out", str(tmp_path / "out"), "--kubernetes-version", "1.2")
    assert result.exit_code == 1
    assert "no shipped Kubernetes schemas for version 1.2" in result.output
