"""``govcloud ledger log|export|allowed-signers`` and the key refusal, through typer's CliRunner.

The ledger commands now call :mod:`govcloud.app.orchestration`; these pin what a user sees: the log's
"what" column, the export's columns (JSON and CSV) and its file, the allowed-signers file, and a signed
command without a key refused before anything is written. Real keys (ssh-keygen), a real SQLite ledger.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from govcloud.app import orchestration
from govcloud.cli import common
from govcloud.edges import yamlio
from govcloud.orchestration.edges import advance as advancing
from ledger_team import Programme, make_programme

SYSTEM = "CGJ-006"


@pytest.fixture
def programme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Programme:
    made = make_programme(tmp_path)
    monkeypatch.chdir(made.root)
    monkeypatch.delenv(orchestration.SIGNING_KEY_ENV, raising=False)
    started = made.cli("advance", SYSTEM, "network", "--to", "in_progress", key="lead")
    assert started.exit_code == 0, started.output
    return made


def test_the_log_says_who_moved_what(programme: Programme, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common.console, "width", 200)  # the table's columns unclipped
    result = programme.cli("ledger", "log", "--system", SYSTEM)
    assert result.exit_code == 0, result.output
    assert "stage.transition" in result.output
    assert "pending → in_progress" in result.output
    assert "lead.cgj" in result.output
    assert "1 entries" in result.output


def test_the_export_has_every_column_in_json_and_csv(programme: Programme, tmp_path: Path) -> None:
    as_json = programme.cli("ledger", "export", "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    (entry,) = json.loads(as_json.output)
    assert set(orchestration.EXPORT_COLUMNS) <= set(entry)
    assert (entry["system"], entry["payload"]["to"]) == (SYSTEM, "in_progress")
    out = tmp_path / "ledger.csv"
    as_csv = programme.cli("ledger", "export", "--format", "csv", "--out", str(out))
    assert as_csv.exit_code == 0, as_csv.output
    assert f"wrote 1 entries to {out}" in as_csv.output
    (row,) = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(row) == list(orchestration.EXPORT_COLUMNS)
    assert json.loads(row["payload"])["to"] == "in_progress"
    assert row["hash"] == entry["hash"]


def test_the_allowed_signers_file_lists_every_key(programme: Programme, tmp_path: Path) -> None:
    out = tmp_path / "allowed_signers"
    result = programme.cli("ledger", "allowed-signers", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "wrote 5 keys" in result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    assert all(line.startswith(("lead.cgj ", "lead.gaj ", "po.wang ", "sec.chen ", "ops.liu ")) for line in lines)


def test_a_signed_entry_without_a_key_is_refused_and_nothing_is_written(programme: Programme) -> None:
    before = json.loads(programme.cli("ledger", "export").output)
    refused = programme.cli("ledger", "confirm", SYSTEM, "--disposition", "下线", "--reason", "x")
    assert refused.exit_code == 1
    assert "must be signed" in refused.output
    assert json.loads(programme.cli("ledger", "export").output) == before


def test_a_status_disagreeing_with_the_ledger_points_at_its_stage_where_it_is(programme: Programme) -> None:
    """The line is the stage's own in the file, even when the file lists its stages in another order."""
    path = programme.plans / f"{SYSTEM}.yaml"
    data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
    stages = data["stages"]
    network = stages.pop(0)
    network["status"] = "pending"  # the ledger says in_progress
    stages.append(network)
    path.write_text(yamlio.dump_roundtrip(data), encoding="utf-8")
    problems, _ = advancing.ledger_backed_problems(programme.plans, programme.ledger)
    (problem,) = problems
    index = len(stages) - 1
    assert problem.field == f"stages.{index}.status"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert problem.line is not None
    assert lines[problem.line - 1].strip() == "status: pending"
    assert "stage: network" in "\n".join(lines[: problem.line])  # after the network stage's own start
    assert "disagrees with the ledger: in_progress" in problem.message


def test_advance_on_a_plan_file_that_is_not_utf8_is_an_error_with_no_traceback(programme: Programme) -> None:
    path = programme.plans / f"{SYSTEM}.yaml"
    path.write_bytes(path.read_bytes().replace("网络通".encode(), "网络通".encode("gbk"), 1))
    before = json.loads(programme.cli("ledger", "export").output)
    result = programme.cli("advance", SYSTEM, "network", "--to", "done", key="lead")
    assert result.exit_code == 1
    assert "not UTF-8 text" in result.output
    assert "Traceback" not in result.output
    assert json.loads(programme.cli("ledger", "export").output) == before  # nothing written
