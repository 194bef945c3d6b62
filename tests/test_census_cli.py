"""``govcloud census ...`` and ``govcloud schema`` through the real command line (typer's CliRunner)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

import form_writers
from govcloud.census.edges import census_forms, json_schema
from govcloud.cli import app
from govcloud.core import model
from govcloud.edges import inventory_files

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "inventory"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def inventory_dir(tmp_path: Path) -> Path:
    root = tmp_path / "inventory"
    shutil.copytree(BUNDLED, root)
    return root


@pytest.fixture(scope="module")
def bundled() -> model.Inventory:
    return inventory_files.load_inventory(BUNDLED).inventory


def test_template_writes_the_form(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "forms" / "普查表.xlsx"
    result = runner.invoke(app, ["census", "template", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames[:3] == ["部门", "系统", "信息资源"]


def test_template_with_a_wrong_extension_exits_1_without_traceback(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["census", "template", "--out", str(tmp_path / "form.xls")])
    assert result.exit_code == 1
    assert "form.xls" in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_export_then_import_of_one_department_reports_no_change(
    runner: CliRunner, inventory_dir: Path, tmp_path: Path
) -> None:
    form = tmp_path / "fgw.xlsx"
    exported = runner.invoke(
        app, ["census", "export", "--out", str(form), "--department", "FGW", "--inventory", str(inventory_dir)]
    )
    assert exported.exit_code == 0, exported.output
    imported = runner.invoke(app, ["census", "import", str(form), "--inventory", str(inventory_dir)])
    assert imported.exit_code == 0, imported.output
    assert "unchanged" in imported.stdout
    assert "nothing written" in imported.stdout


def test_import_prints_the_change_table(runner: CliRunner, inventory_dir: Path, tmp_path: Path) -> None:
    inv = inventory_files.load_inventory(inventory_dir).inventory
    form = tmp_path / "fgw.xlsx"
    census_forms.export_forms(inv, form, department="FGW")
    workbook = openpyxl.load_workbook(form)
    workbook["系统"]["B2"].value = "发展改革项目审批管理系统（二期）"
    workbook.save(form)
    result = runner.invoke(app, ["census", "import", str(form), "--inventory", str(inventory_dir)])
    assert result.exit_code == 0, result.output
    assert "FGW" in result.stdout
    assert "changed" in result.stdout
    assert inv.systems_of_department["FGW"][0].code in result.stdout
    assert "+0 -0 ~1" in result.stdout  # systems: none added, none removed, one changed
    assert "wrote 1 file(s)" in result.stdout


def test_import_of_a_bad_form_exits_1_and_lists_rows(runner: CliRunner, inventory_dir: Path, tmp_path: Path) -> None:
    form = tmp_path / "bad.csv"
    headers = ",".join(census_forms.SYSTEM_SHEET.headers)
    form.write_text(headers + "\n" + "X-1" + "," * (len(census_forms.SYSTEM_SHEET.headers) - 1) + "\n", "utf-8")
    before = {p: p.read_bytes() for p in inventory_dir.rglob("*.yaml")}
    result = runner.invoke(app, ["census", "import", str(form), "--inventory", str(inventory_dir)])
    assert result.exit_code == 1
    assert "bad.csv [系统] row 2: 系统名称: 系统名称 is required" in result.stderr
    assert "nothing was imported" in result.stderr
    assert "Traceback" not in result.output
    assert {p: p.read_bytes() for p in inventory_dir.rglob("*.yaml")} == before


def fgw_form_as_returned(inventory_dir: Path, path: Path, *, extra_header: str | None = None) -> Path:
    """FGW's export re-saved as .ods with a 序号 column, a 合计 row and a signature row under the data."""
    inv = inventory_files.load_inventory(inventory_dir).inventory
    exported = path.with_suffix(".export.xlsx")
    census_forms.export_forms(inv, exported, department="FGW")
    workbook = openpyxl.load_workbook(exported)
    sheets: dict[str, list[list[object]]] = {}
    for sheet in workbook.worksheets:
        rows = [["序号" if i == 0 else i, *row] for i, row in enumerate(sheet.iter_rows(values_only=True))]
        if extra_header is not None and sheet.title == "系统":
            rows[0].append(extra_header)
            for row in rows[1:]:
                row.append("王五")
        rows += [["合计", f"{len(rows) - 1}条"], ["填表人：张三", None, "审核人：李四"]]
        sheets[sheet.title] = rows
    return form_writers.write_ods(path, sheets)


def test_import_prints_a_notice_for_every_skipped_row_and_column(
    runner: CliRunner, inventory_dir: Path, tmp_path: Path
) -> None:
    form = fgw_form_as_returned(inventory_dir, tmp_path / "发改委.ods")
    result = runner.invoke(app, ["census", "import", str(form), "--inventory", str(inventory_dir)])
    assert result.exit_code == 0, result.output
    notices = [line for line in result.stdout.splitlines() if line.startswith("notice ")]
    assert any(line.endswith("[系统] row 1: column 序号 (A) ignored: it is no census field") for line in notices)
    assert sum("row ignored: a 合计 row" in line for line in notices) == 3  # one per sheet
    assert sum("row ignored: a 填表人 row" in line for line in notices) == 3
    assert "nothing written" in result.stdout


def test_a_rejected_import_still_shows_its_notices_and_the_settings_can_ignore_a_column(
    runner: CliRunner, inventory_dir: Path, tmp_path: Path
) -> None:
    form = fgw_form_as_returned(inventory_dir, tmp_path / "发改委.ods", extra_header="联系人")
    before = {p: p.read_bytes() for p in inventory_dir.rglob("*.yaml")}
    result = runner.invoke(app, ["census", "import", str(form), "--inventory", str(inventory_dir)])
    assert result.exit_code == 1
    assert "[系统] row 1: 联系人: unknown column" in result.stderr
    assert "notice " in result.stderr
    assert "a 合计 row" in result.stderr
    assert {p: p.read_bytes() for p in inventory_dir.rglob("*.yaml")} == before

    (inventory_dir / "settings.yaml").write_text("census_forms:\n  ignored_columns: [联系人]\n", "utf-8")
    result = runner.invoke(app, ["census", "import", str(form), "--inventory", str(inventory_dir)])
    assert result.exit_code == 0, result.output
    assert "column 联系人 (AA) ignored" in result.stdout


def test_import_of_a_missing_file_exits_1(runner: CliRunner, inventory_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["census", "import", str(tmp_path / "nope.xlsx"), "--inventory", str(inventory_dir)])
    assert result.exit_code == 1
    assert "nope.xlsx: file does not exist" in result.stderr


def test_export_of_an_unknown_department_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["census", "export", "--out", str(tmp_path / "x.xlsx"), "--department", "不存在的局", "-i", str(BUNDLED)]
    )
    assert result.exit_code == 1
    assert "no department named or coded '不存在的局'" in result.stderr


def test_summary_json_counts_the_bundled_inventory(runner: CliRunner, bundled: model.Inventory) -> None:
    result = runner.invoke(app, ["census", "summary", "--format", "json", "--inventory", str(BUNDLED)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["totals"] == {
        "departments": len(bundled.departments),
        "systems": len(bundled.systems),
        "catalogue_entries": len(bundled.catalogue),
        "data_items": sum(len(e.data_items) for e in bundled.catalogue),
    }
    assert sum(d["systems"] for d in summary["departments"]) == len(bundled.systems)
    assert [d["code"] for d in summary["departments"]] == sorted(d.code for d in bundled.departments)
    for key in ("systems_by_carrying_network", "systems_by_mlps_level", "systems_by_deployment"):
        assert sum(summary[key].values()) == len(bundled.systems), key
    for key in ("systems_by_build_funding", "systems_by_om_funding"):
        assert sum(summary[key].values()) == len(bundled.systems), key
    assert list(summary["systems_by_carrying_network"]) == [m.value for m in model.CarryingNetwork]
    assert list(summary["systems_by_mlps_level"]) == ["一级", "二级", "三级", "四级", "五级", "未定级"]
    assert summary["systems_by_mlps_level"]["未定级"] == sum(1 for s in bundled.systems if s.mlps_level is None)
    assert list(summary["entries_by_sharing_type"]) == ["无条件共享", "有条件共享", "不予共享"]
    assert sum(summary["entries_by_sharing_type"].values()) == len(bundled.catalogue)
    assert summary["entries_by_open"]["开放"] == sum(1 for e in bundled.catalogue if e.open.open)


def test_summary_json_is_stable(runner: CliRunner) -> None:
    first = runner.invoke(app, ["census", "summary", "-f", "json", "-i", str(BUNDLED)])
    second = runner.invoke(app, ["census", "summary", "-f", "json", "-i", str(BUNDLED)])
    assert first.stdout == second.stdout


def test_summary_table_shows_every_section(runner: CliRunner) -> None:
    result = runner.invoke(app, ["census", "summary", "--inventory", str(BUNDLED)])
    assert result.exit_code == 0, result.output
    for title in ("承载网络", "等保级别", "部署方式", "建设经费来源", "运维经费来源", "共享类型", "是否开放"):
        assert title in result.stdout


def test_summary_of_a_missing_inventory_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["census", "summary", "--inventory", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "inventory directory does not exist" in result.stderr


# ---------------------------------------------------------------------------------------------------------
# schema


def _as_editors_see_it(path: Path) -> Any:
    """YAML as an editor's language server reads it: dates stay text (YAML 1.2 has no timestamp type)."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return json.loads(json.dumps(data, default=_iso))


def _iso(value: object) -> str:
    assert isinstance(value, dt.date)
    return value.isoformat()


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("schemas")
    result = CliRunner().invoke(app, ["schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _validator(schemas: Path, name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((schemas / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_writes_a_schema_per_inventory_file_and_a_readme(schemas: Path) -> None:
    names = {p.name for p in schemas.iterdir()}
    assert {"city.schema.json", "network.schema.json", "hosts.schema.json", "department.schema.json"} <= names
    assert "README.md" in names
    readme = (schemas / "README.md").read_text(encoding="utf-8")
    assert '"yaml.schemas"' in readme
    assert "inventory/departments/*.yaml" in readme


@pytest.mark.parametrize(
    ("name", "files"),
    [
        ("city", ["city.yaml"]),
        ("network", ["network.yaml"]),
        ("hosts", ["hosts.yaml"]),
        ("department", sorted(p.name for p in (BUNDLED / "departments").glob("*.yaml"))),
    ],
)
def test_schemas_accept_the_bundled_inventory(schemas: Path, name: str, files: list[str]) -> None:
    validator = _validator(schemas, name)
    base = BUNDLED / "departments" if name == "department" else BUNDLED
    for file in files:
        errors = list(validator.iter_errors(_as_editors_see_it(base / file)))
        assert not errors, f"{file}: {errors[0].message}"


def test_settings_schema_accepts_the_default_settings_when_the_model_exists(schemas: Path) -> None:
    settings_model = json_schema.inventory_schema_models().get("settings")
    if settings_model is None:
        assert not (schemas / "settings.schema.json").exists()
        return
    validator = _validator(schemas, "settings")
    assert not list(validator.iter_errors(settings_model().model_dump(mode="json")))
    if (BUNDLED / "settings.yaml").exists():
        assert not list(validator.iter_errors(_as_editors_see_it(BUNDLED / "settings.yaml")))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(lambda d: d["systems"][0].update(scope="全市"), "'全市' is not one of", id="enum"),
        pytest.param(lambda d: d["systems"][0].update(colour="红"), "Additional properties", id="unknown-key"),
        pytest.param(lambda d: d["department"].update(code="fgw"), "does not match", id="pattern"),
        pytest.param(lambda d: d["systems"][0].update(mlps_level=6), "greater than the maximum", id="range"),
    ],
)
def test_department_schema_rejects_what_check_rejects(schemas: Path, mutate: Any, expected: str) -> None:
    data = _as_editors_see_it(BUNDLED / "departments" / "FGW.yaml")
    mutate(data)
    errors = list(_validator(schemas, "department").iter_errors(data))
    messages = [m for e in errors for m in (e.message, *(c.message for c in e.context or ()))]
    assert any(expected in m for m in messages), messages


def test_write_schemas_takes_any_named_models(tmp_path: Path) -> None:
    written = json_schema.write_schemas(tmp_path, {"plan": model.Sizing}, file_patterns={"plan": "plans/*.yaml"})
    assert [p.name for p in written] == ["plan.schema.json", "README.md"]
    schema = json.loads((tmp_path / "plan.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == json_schema.JSON_SCHEMA_DIALECT
    assert "plans/*.yaml" in (tmp_path / "README.md").read_text(encoding="utf-8")


def test_schema_out_that_is_a_file_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = runner.invoke(app, ["schema", "--out", str(target)])
    assert result.exit_code == 1
    assert "not a directory" in result.stderr
