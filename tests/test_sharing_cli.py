"""``govcloud share`` and ``govcloud catalogue export`` on a copy of the bundled city: real files, real SHACL."""

from __future__ import annotations

import json
from pathlib import Path

import pyshacl
import pytest
import rdflib
import yaml
from rdflib.namespace import DCAT, DCTERMS, RDF
from typer.testing import CliRunner

from govcloud.cli import app, common
from govcloud.sharing.edges import catalogue_export, request_files

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables wide enough that request ids and resource codes stay on one line (rich reads COLUMNS only once)."""
    monkeypatch.setattr(common.console, "_width", 200)


CONDITIONAL = "10502704/0000145"  # CGJ's 有条件共享 entry
NOT_SHARED = "10202701/0000497"  # CGJ's 不予共享 entry
BY = ["--by", "CLB 共享工作机构 负责人 赵一"]


def share(inventory: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["share", *args, "--inventory", str(inventory)])
    return result.exit_code, result.output


def submit(
    inventory: Path, resource: str = CONDITIONAL, on: str = "2025-09-26", until: str = "2026-06-30"
) -> tuple[int, str]:
    return share(
        inventory,
        "request",
        "--requester",
        "CLB",
        "--consumer",
        "CLB-001",
        "--resource",
        resource,
        "--basis",
        "《城市市容和环境卫生管理条例》",
        "--scenario",
        "联合执法",
        "--until",
        until,
        *BY,
        "--on",
        on,
    )


def test_a_conditional_request_goes_from_submission_to_delivery_in_request_files(inventory_copy: Path) -> None:
    code, output = submit(inventory_copy)
    assert code == 0, output
    path = request_files.request_path(inventory_copy, "SQ-2025-0001")
    assert path.parent == inventory_copy.parent / "sharing" / "requests"
    assert path.exists()
    path.write_text("# 联合执法 requests: keep this comment\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    steps = [
        (
            "extend",
            "SQ-2025-0001",
            "--days",
            "5",
            "--consented-by",
            "市大数据局",
            "--reason",
            "核对",
            "--on",
            "2025-10-15",
        ),
        ("answer", "SQ-2025-0001", "grant", *BY, "--on", "2025-10-22"),
        ("deliver", "SQ-2025-0001", "--on", "2025-11-03"),
    ]
    for args in steps:
        code, output = share(inventory_copy, *args)
        assert code == 0, output
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# 联合执法 requests: keep this comment")
    assert "state: 已提供" in text
    assert "days: 5" in text
    code, output = share(inventory_copy, "overdue", "--on", "2025-12-01")
    assert code == 0
    assert "no deadline missed" in output
    out = inventory_copy.parent / "report.json"
    code, output = share(inventory_copy, "report", "--format", "json", "--out", str(out), "--on", "2025-12-01")
    assert code == 0, output
    figures = json.loads(out.read_text(encoding="utf-8"))
    provider = next(d for d in figures["departments"] if d["department"] == "CGJ")
    assert (provider["answered"], provider["answered_late"], provider["grants_delivered"]) == (1, 0, 1)
    assert figures["city"]["requests_by_state"] == {"已提供": 1}
    rules = {f["rule"] for f in figures["findings"]}
    assert "personal-unconditional" in rules  # the bundled city's 无条件共享 entries holding 公民身份号码
    assert "consumes-without-grant" in rules  # its systems consume 有条件共享 entries nobody granted yet
    html_out = inventory_copy.parent / "report.html"
    code, _ = share(inventory_copy, "report", "--format", "html", "--out", str(html_out), "--on", "2025-12-01")
    assert code == 0
    assert "<table>" in html_out.read_text(encoding="utf-8")


def test_a_missed_deadline_across_national_day_is_reported_and_exits_1(inventory_copy: Path) -> None:
    assert submit(inventory_copy)[0] == 0
    code, output = share(inventory_copy, "overdue", "--on", "2025-10-16")
    assert code == 0, output  # 10 working days end on 16 October (1-8 October off, 28 Sep and 11 Oct worked)
    code, output = share(inventory_copy, "overdue", "--on", "2025-10-17")
    assert code == 1
    assert "SQ-2025-0001" in output
    assert "2025-10-16" in output


def test_refused_steps_name_the_file_and_field_and_write_nothing(inventory_copy: Path) -> None:
    code, output = submit(inventory_copy, resource=NOT_SHARED)
    assert code == 1
    assert "resource" in output
    assert "不予共享" in output
    assert not request_files.requests_dir(inventory_copy).exists() or not list(
        request_files.requests_dir(inventory_copy).glob("*.yaml")
    )
    assert submit(inventory_copy)[0] == 0
    path = request_files.request_path(inventory_copy, "SQ-2025-0001")
    before = path.read_bytes()
    code, output = share(
        inventory_copy,
        "extend",
        "SQ-2025-0001",
        "--days",
        "11",
        "--consented-by",
        "x",
        "--reason",
        "r",
        "--on",
        "2025-10-09",
    )
    assert code == 1
    assert "SQ-2025-0001.yaml" in output
    assert "extension.days" in output
    code, output = share(inventory_copy, "answer", "SQ-2025-0001", "refuse", *BY, "--on", "2025-10-09")
    assert code == 1
    assert "answer.reasons" in output
    code, output = share(inventory_copy, "deliver", "SQ-2025-0001", "--on", "2025-10-09")
    assert code == 1
    assert "state" in output
    assert path.read_bytes() == before


def test_an_invalid_request_file_is_reported_with_its_line_and_field(inventory_copy: Path) -> None:
    assert submit(inventory_copy)[0] == 0
    path = request_files.request_path(inventory_copy, "SQ-2025-0001")
    path.write_text(path.read_text(encoding="utf-8").replace("method: 服务接口", "method: 邮寄"), encoding="utf-8")
    code, output = share(inventory_copy, "list")
    assert code == 1
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "邮寄" in text)
    assert f"SQ-2025-0001.yaml:{line}: method:" in output


def test_render_lists_todays_active_grants_in_the_exchange_authorisation_configmap(
    inventory_copy: Path, bundled_inventory: Path, tmp_path: Path
) -> None:
    assert submit(inventory_copy, until="2099-12-31")[0] == 0
    for args in (
        ("answer", "SQ-2025-0001", "grant", *BY, "--on", "2025-10-09"),
        ("deliver", "SQ-2025-0001", "--on", "2025-10-10"),
    ):
        assert share(inventory_copy, *args)[0] == 0
    out = tmp_path / "manifests"
    plans = bundled_inventory.parent / "migrations_plan"
    result = runner.invoke(
        app, ["render", "--inventory", str(inventory_copy), "--plans", str(plans), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    documents = list(yaml.safe_load_all((out / "platform.yaml").read_text(encoding="utf-8")))
    listed = [
        d for d in documents if d and d["kind"] == "ConfigMap" and d["metadata"]["name"] == "exchange-authorisations"
    ]
    assert len(listed) == 1
    assert list(listed[0]["data"]) == ["CLB-001.10502704_0000145"]
    assert "request=SQ-2025-0001" in listed[0]["data"]["CLB-001.10502704_0000145"]


# --- DCAT-AP ------------------------------------------------------------------------------------------------


def validate(graph: rdflib.Graph) -> tuple[list[str], list[str]]:
    """(violations, warnings) of the graph against the shipped DCAT-AP 3.0 shapes."""
    shapes = rdflib.Graph().parse(catalogue_export.SHAPES_FILE)
    _, report, _ = pyshacl.validate(graph, shacl_graph=shapes, allow_warnings=True)
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    found: dict[str, list[str]] = {"Violation": [], "Warning": []}
    for result in report.subjects(RDF.type, sh.ValidationResult):
        severity = str(report.value(result, sh.resultSeverity)).rsplit("#", 1)[-1]
        found.setdefault(severity, []).append(str(report.value(result, sh.resultMessage)))
    return found["Violation"], found["Warning"]


def test_the_dcat_export_of_the_bundled_city_validates_against_dcat_ap_3(inventory_copy: Path) -> None:
    out = inventory_copy.parent / "catalogue.ttl"
    result = runner.invoke(
        app, ["catalogue", "export", "--format", "dcat-ttl", "--out", str(out), "-i", str(inventory_copy)]
    )
    assert result.exit_code == 0, result.output
    graph = rdflib.Graph().parse(out)
    violations, warnings = validate(graph)
    assert violations == []
    # recommended properties the census cannot fill (contact point, theme, licence) stay warnings, and so does
    # the distribution of a 不予共享 entry, which has none; publisher, keyword, format, description never appear
    expected = {"dcat:contactPoint", "dcat:theme", "dct:license", "dcat:distribution"}
    assert {w.split(": ", 1)[1].split(" is ")[0] for w in warnings} <= expected
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 1600
    for each in datasets:
        shared = graph.value(each, DCTERMS.accessRights) != catalogue_export.ACCESS_RIGHT["NON_PUBLIC"]
        assert shared == (graph.value(each, DCAT.distribution) is not None)
    dataset = next(d for d in datasets if str(graph.value(d, DCTERMS.identifier)) == CONDITIONAL)
    assert graph.value(dataset, DCTERMS.accessRights) == catalogue_export.ACCESS_RIGHT["RESTRICTED"]
    assert str(graph.value(dataset, DCTERMS.issued)) == "2024-02-03"
    publisher = graph.value(dataset, DCTERMS.publisher)
    assert len(str(graph.value(publisher, DCTERMS.identifier))) == 18  # the department's USCC


def test_the_shapes_reject_a_dataset_without_title_and_an_unknown_access_right(inventory_copy: Path) -> None:
    from govcloud.edges import inventory_files

    inv = inventory_files.load_inventory(inventory_copy).inventory
    small = inv.model_copy(update={"catalogue": inv.catalogue[:5]})
    graph = catalogue_export.catalogue_graph(small)
    assert validate(graph)[0] == []
    dataset = next(iter(graph.subjects(RDF.type, DCAT.Dataset)))
    graph.remove((dataset, DCTERMS.title, None))
    graph.set((dataset, DCTERMS.accessRights, rdflib.URIRef("http://example.org/secret")))
    violations, _ = validate(graph)
    assert "Dataset: dct:title is mandatory" in violations
    assert any("access-right" in v for v in violations)


def test_jsonld_and_ckan_exports_carry_the_same_datasets(inventory_copy: Path) -> None:
    jsonld = inventory_copy.parent / "catalogue.jsonld"
    ckan = inventory_copy.parent / "ckan.json"
    for fmt, out in (("dcat-jsonld", jsonld), ("ckan", ckan)):
        result = runner.invoke(
            app, ["catalogue", "export", "--format", fmt, "--out", str(out), "-i", str(inventory_copy)]
        )
        assert result.exit_code == 0, result.output
    graph = rdflib.Graph().parse(jsonld, format="json-ld")
    packages = json.loads(ckan.read_text(encoding="utf-8"))
    codes = {next(e["value"] for e in p["extras"] if e["key"] == "resource_code") for p in packages}
    assert codes == {str(graph.value(d, DCTERMS.identifier)) for d in graph.subjects(RDF.type, DCAT.Dataset)}
    secret = next(p for p in packages if any(e["value"] == NOT_SHARED for e in p["extras"]))
    assert secret["resources"] == []
    assert secret["private"] is True
