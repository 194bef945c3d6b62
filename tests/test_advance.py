"""govcloud advance: gates, roles, overrides, sign-offs, the plan file second; crashes and races with real processes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govcloud.edges import yamlio
from govcloud.orchestration.core import transitions
from govcloud.orchestration.edges import advance as advancing
from govcloud.orchestration.edges import store
from govcloud.planning.core.stages import StageStatus
from govcloud.planning.edges import plan_progress
from ledger_team import Programme, ledger_entries, make_programme

SYSTEM = "CGJ-006"
"""A bundled system (城管局, MLPS 3) whose only failing gate is its data stage's exit gate (one entry unpublished)."""

GOVCLOUD = str(Path(sys.executable).with_name("govcloud"))


@pytest.fixture
def programme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Programme:
    made = make_programme(tmp_path)
    monkeypatch.chdir(made.root)  # plan --check finds the ledger at its default place, .govcloud/ledger.sqlite
    return made


def _status_in_file(programme: Programme, system: str, stage: str) -> str:
    data = yamlio.read_fast((programme.plans / f"{system}.yaml").read_text(encoding="utf-8"))
    return next(s["status"] for s in data["stages"] if s["stage"] == stage)


def test_done_when_one_bundled_system_goes_through_all_three_stages(programme: Programme) -> None:
    p = programme
    plan_before = (p.plans / f"{SYSTEM}.yaml").read_text(encoding="utf-8")
    assert "# Plan of CGJ-006" in plan_before
    for stage in ("network", "data"):
        result = p.cli("advance", SYSTEM, stage, "--to", "in_progress", key="lead")
        assert result.exit_code == 0, result.output
        if stage == "network":
            assert p.cli("advance", SYSTEM, stage, "--to", "done", key="lead").exit_code == 0

    # the data stage's exit gate fails: refused with the gate and its evidence, nothing written
    written = ledger_entries(p)
    refused = p.cli("advance", SYSTEM, "data", "--to", "done", key="lead")
    assert refused.exit_code == 1
    assert "catalogue_published" in refused.output
    assert "4 of 5 published" in refused.output
    assert ledger_entries(p) == written
    assert _status_in_file(p, SYSTEM, "data") == "in_progress"

    # an override needs the programme office: the lead is refused, nothing written
    by_lead = p.cli(
        "advance", SYSTEM, "data", "--to", "done", "--override-gate", "catalogue_published", "--reason", "x", key="lead"
    )
    assert by_lead.exit_code == 1
    assert "programme_office" in by_lead.output
    assert ledger_entries(p) == written

    by_office = p.cli(
        "advance",
        SYSTEM,
        "data",
        "--to",
        "done",
        "--override-gate",
        "catalogue_published",
        "--reason",
        "entry withdrawn from the catalogue this week",
        key="po",
    )
    assert by_office.exit_code == 0, by_office.output
    assert "override recorded" in by_office.output
    assert _status_in_file(p, SYSTEM, "data") == "in_progress"  # the office overrides, the lead moves
    done = p.cli("advance", SYSTEM, "data", "--to", "done", key="lead")
    assert done.exit_code == 0, done.output
    assert "OVERRIDDEN" in done.output

    assert p.cli("advance", SYSTEM, "business", "--to", "in_progress", key="lead").exit_code == 0
    # MLPS 3: business done needs the security officer's sign-off first
    unsigned = p.cli("advance", SYSTEM, "business", "--to", "done", key="lead")
    assert unsigned.exit_code == 1
    assert "sign-off" in unsigned.output
    assert p.cli("ledger", "signoff", SYSTEM, "business", "--reason", "等保 test passed", key="lead").exit_code == 1
    assert p.cli("ledger", "signoff", SYSTEM, "business", "--reason", "等保 test passed", key="sec").exit_code == 0
    final = p.cli("advance", SYSTEM, "business", "--to", "done", key="lead")
    assert final.exit_code == 0, final.output
    assert [_status_in_file(p, SYSTEM, s) for s in ("network", "data", "business")] == ["done"] * 3

    # the plan file kept its comments and everything else: only the statuses changed
    after = (p.plans / f"{SYSTEM}.yaml").read_text(encoding="utf-8")
    assert after.replace("status: done", "status: pending") == plan_before

    shown = p.cli("status", "--department", "CGJ", "--format", "json")
    assert shown.exit_code == 0, shown.output
    rows = {(r["system"], r["stage"]): r for r in json.loads(shown.output)["rows"]}
    data_row = rows[(SYSTEM, "data")]
    assert data_row["status"] == "done"
    assert data_row["overrides"] == ["catalogue_published"]
    assert data_row["last_by"] == "lead.cgj"
    assert rows[(SYSTEM, "business")]["signed_by"] == ["sec.chen"]
    assert json.loads(shown.output)["ledger_backed"] is True

    report = p.root / "report.html"
    made = p.cli("report", "--format", "html", "--out", str(report), "--plans", str(p.plans))
    assert made.exit_code == 0, made.output
    html = report.read_text(encoding="utf-8")
    assert "已完成阶段累计：计划与实际" in html  # the burn-up chart, labelled in zh-CN by default
    assert SYSTEM in html

    verified = p.cli("ledger", "verify")
    assert verified.exit_code == 0, verified.output
    assert "chain intact" in verified.output

    db = sqlite3.connect(p.ledger)
    (override_seq,) = db.execute("SELECT seq FROM entries WHERE kind = 'gate.override'").fetchone()
    db.execute("DROP TRIGGER entries_no_update")
    db.execute(
        """UPDATE entries SET payload = replace(payload, 'withdrawn', 'WITHDRAWN') WHERE kind = 'gate.override'"""
    )
    db.commit()
    db.close()
    broken = p.cli("ledger", "verify")
    assert broken.exit_code == 1
    assert f"entry {override_seq} was edited" in broken.output


def test_a_key_not_in_the_roster_is_refused_and_nothing_written(programme: Programme) -> None:
    plan = (programme.plans / f"{SYSTEM}.yaml").read_text(encoding="utf-8")
    result = programme.cli("advance", SYSTEM, "network", "--to", "in_progress", key="outsider")
    assert result.exit_code == 1
    assert "not in the roster" in result.output
    assert ledger_entries(programme) == 0
    assert (programme.plans / f"{SYSTEM}.yaml").read_text(encoding="utf-8") == plan


def test_a_lead_of_another_department_is_refused(programme: Programme) -> None:
    result = programme.cli("advance", SYSTEM, "network", "--to", "in_progress", key="other_lead")
    assert result.exit_code == 1
    assert "migration_lead of CGJ" in result.output
    assert ledger_entries(programme) == 0
    assert _status_in_file(programme, SYSTEM, "network") == "pending"


def test_a_missing_key_file_or_no_key_is_refused(programme: Programme) -> None:
    missing = programme.cli("advance", SYSTEM, "network", "--to", "in_progress", "--key", "/nonexistent/key")
    assert missing.exit_code == 1
    assert "no such key file" in missing.output
    none = programme.cli("advance", SYSTEM, "network", "--to", "in_progress")
    assert none.exit_code == 1
    assert "--key" in none.output
    assert ledger_entries(programme) == 0


def test_an_unknown_person_in_an_entry_is_refused_by_the_roster_rules() -> None:
    from govcloud.errors import RefusedError
    from govcloud.orchestration.core import roster as roster_rules

    person = roster_rules.Person("a", "a", (), (roster_rules.Key("ssh-ed25519 AAAA", "SHA256:x"),))
    with pytest.raises(RefusedError, match="unknown person 'nobody'"):
        roster_rules.authorize(
            roster_rules.Roster((person,)),
            actor="nobody",
            fingerprint="SHA256:x",
            needs=[],
            on=__import__("datetime").date.today(),
        )


def test_blocked_needs_a_reason_keeps_the_plan_status_and_shows_until_cleared(programme: Programme) -> None:
    p = programme
    assert p.cli("advance", SYSTEM, "network", "--to", "in_progress", key="lead").exit_code == 0
    no_reason = p.cli("advance", SYSTEM, "network", "--to", "blocked", key="lead")
    assert no_reason.exit_code == 1
    assert "needs a reason" in no_reason.output
    blocked = p.cli("advance", SYSTEM, "network", "--to", "blocked", "--reason", "专线 not delivered", key="lead")
    assert blocked.exit_code == 0, blocked.output
    text = (p.plans / f"{SYSTEM}.yaml").read_text(encoding="utf-8")
    assert "status: in_progress  # ledger: blocked since" in text  # provisioning keeps what it had
    listed = json.loads(p.cli("status", "--blocked", "--format", "json").output)["rows"]
    assert [(r["system"], r["stage"], r["reason"]) for r in listed] == [(SYSTEM, "network", "专线 not delivered")]
    assert p.cli("advance", SYSTEM, "network", "--to", "in_progress", key="lead").exit_code == 0
    assert json.loads(p.cli("status", "--blocked", "--format", "json").output)["rows"] == []
    assert "# ledger:" not in (p.plans / f"{SYSTEM}.yaml").read_text(encoding="utf-8")


def test_stage_order_and_allowed_moves_are_enforced(programme: Programme) -> None:
    skip = programme.cli("advance", SYSTEM, "data", "--to", "in_progress", key="lead")
    assert skip.exit_code == 1
    assert "stage order" in skip.output or "stage_done" in skip.output
    done_from_pending = programme.cli("advance", SYSTEM, "network", "--to", "done", key="lead")
    assert done_from_pending.exit_code == 1
    assert "it can go to" in done_from_pending.output
    assert ledger_entries(programme) == 0


def test_plan_check_says_statuses_are_not_yet_ledger_backed_then_adopt_backs_them(programme: Programme) -> None:
    p = programme
    from typer.testing import CliRunner

    from govcloud.cli import app

    def plan_check() -> str:
        result = CliRunner().invoke(
            app, ["plan", "--check", "--inventory", str(p.inventory), "--plans", str(p.plans)], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        return result.output

    assert "not yet ledger-backed" in plan_check()
    assert p.cli("ledger", "adopt", key="lead").exit_code == 1  # the programme office adopts
    adopted = p.cli("ledger", "adopt", key="po")
    assert adopted.exit_code == 0, adopted.output
    assert "adopted" in adopted.output
    assert "0 plan status(es) disagree" in plan_check()
    assert "nothing to adopt" in p.cli("ledger", "adopt", key="po").output
    elsewhere = p.root / "elsewhere"
    elsewhere.mkdir()
    with pytest.MonkeyPatch.context() as env:  # from another directory, $GOVCLOUD_LEDGER names the ledger
        env.chdir(elsewhere)
        assert "not yet ledger-backed" in plan_check()
        env.setenv("GOVCLOUD_LEDGER", str(p.ledger))
        assert "0 plan status(es) disagree" in plan_check()
    with store.open_ledger(p.ledger) as ledger:
        states = ledger.states()
    started = {k for k, v in states.items() if v.status is not transitions.LedgerStatus.PENDING}
    in_plans = {
        (code, stage.value)
        for code, tracking in plan_progress.load_progress_leniently(p.plans).items()
        for stage, status in tracking.statuses.items()
        if status is not StageStatus.PENDING
    }
    assert len(in_plans) >= 10  # the bundled plans' seeded progress: done and in_progress stages
    assert started == in_plans
    assert p.cli("ledger", "verify").exit_code == 0


def test_disposition_confirmations_are_signed_by_the_departments_lead(programme: Programme) -> None:
    p = programme
    refused = p.cli("ledger", "confirm", SYSTEM, "--disposition", "下线", "--reason", "zombie", key="other_lead")
    assert refused.exit_code == 1
    ok = p.cli("ledger", "confirm", SYSTEM, "--disposition", "下线", "--reason", "no users since 2023", key="lead")
    assert ok.exit_code == 0, ok.output
    with store.open_ledger(p.ledger) as ledger:
        confirmed = transitions.confirmed_dispositions(ledger.entries())
    assert confirmed[SYSTEM].disposition == "下线"
    assert confirmed[SYSTEM].actor == "lead.cgj"


def _advance_process(p: Programme, system: str, stage: str, to: str, who: str, **env: str) -> subprocess.Popen[str]:
    argv = [GOVCLOUD, "advance", system, stage, "--to", to, "--key", str(p.key(who))]
    argv += ["--inventory", str(p.inventory), "--plans", str(p.plans), "--ledger", str(p.ledger)]
    return subprocess.Popen(
        argv, cwd=p.root, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def test_kill_9_between_ledger_commit_and_plan_write_is_repaired_by_the_next_advance(programme: Programme) -> None:
    p = programme
    marker = p.root / "committed"
    process = _advance_process(
        p, SYSTEM, "network", "in_progress", "lead", **{advancing.FAULT_AFTER_LEDGER_ENV: str(marker)}
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert ledger_entries(p) == 1  # the entry is there ...
    assert _status_in_file(p, SYSTEM, "network") == "pending"  # ... the plan file not yet

    from typer.testing import CliRunner

    from govcloud.cli import app

    check = CliRunner().invoke(app, ["plan", "--check", "--inventory", str(p.inventory), "--plans", str(p.plans)])
    assert check.exit_code == 1
    assert "disagrees with the ledger" in check.output

    after = p.cli("advance", SYSTEM, "network", "--to", "done", key="lead")
    assert after.exit_code == 0, after.output
    assert "repaired" in after.output
    assert _status_in_file(p, SYSTEM, "network") == "done"
    assert p.cli("ledger", "verify").exit_code == 0


def test_ledger_replay_repairs_a_plan_file_after_a_crash(programme: Programme) -> None:
    p = programme
    assert p.cli("advance", SYSTEM, "network", "--to", "in_progress", key="lead").exit_code == 0
    path = p.plans / f"{SYSTEM}.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: in_progress", "status: pending", 1), encoding="utf-8"
    )
    replayed = p.cli("ledger", "replay")
    assert replayed.exit_code == 0
    assert "1 plan status(es) repaired" in replayed.output
    assert _status_in_file(p, SYSTEM, "network") == "in_progress"


def test_concurrent_advances_on_different_systems_both_land(programme: Programme) -> None:
    p = programme
    first = _advance_process(p, SYSTEM, "network", "in_progress", "lead")
    second = _advance_process(p, "MZJ-006", "network", "in_progress", "lead")
    outputs = [first.communicate(timeout=180)[0], second.communicate(timeout=180)[0]]
    assert (first.returncode, second.returncode) == (0, 0), outputs
    assert _status_in_file(p, SYSTEM, "network") == "in_progress"
    assert _status_in_file(p, "MZJ-006", "network") == "in_progress"
    assert ledger_entries(p) == 2
    assert p.cli("ledger", "verify").exit_code == 0


def test_concurrent_advances_on_the_same_stage_one_wins_the_other_is_refused(programme: Programme) -> None:
    p = programme
    runs = [_advance_process(p, SYSTEM, "network", "in_progress", "lead") for _ in range(2)]
    outputs = [run.communicate(timeout=180)[0] for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 1], outputs
    loser = outputs[[run.returncode for run in runs].index(1)]
    assert "already in_progress" in loser
    assert ledger_entries(p) == 1
    assert p.cli("ledger", "verify").exit_code == 0


def test_check_reports_every_roster_problem_with_its_line(programme: Programme) -> None:
    people = programme.inventory / "people.yaml"
    text = people.read_text(encoding="utf-8")
    text = text.replace("departments: [CGJ, MZJ]", "departments: [CGJ, XXX]").replace("[programme_office]", "[pope]")
    text = text.replace("id: ops.liu", "id: ops liu")
    people.write_text(text, encoding="utf-8")
    result = programme.cli("check")
    assert result.exit_code == 1
    lines = {line.split(":", 2)[1] for line in result.output.splitlines() if line.startswith(str(people))}
    assert len(lines) == 3  # three problems, each at its own line
    assert "unknown department 'XXX'" in result.output
    assert "unknown role 'pope'" in result.output
    assert "must be ASCII" in result.output


def test_render_is_recorded_as_run_evidence_once_a_ledger_exists(
    programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from govcloud.cli import app

    def render() -> None:
        argv = ["render", "--inventory", str(programme.inventory), "--plans", str(programme.plans)]
        result = CliRunner().invoke(app, [*argv, "--out", str(programme.root / "manifests")])
        assert result.exit_code == 0, result.output

    render()
    assert not programme.ledger.exists()  # no ledger yet: a scratch render starts none
    assert programme.cli("ledger", "adopt", key="po").exit_code == 0
    render()
    monkeypatch.setenv("GOVCLOUD_SIGNING_KEY", str(programme.key("ops")))
    render()
    with store.open_ledger(programme.ledger) as ledger:
        runs = ledger.entries(kinds=["run.render"])
    assert [r.actor for r in runs] == [None, "ops.liu"]
    assert all(r.inventory_revision for r in runs)
    assert runs[0].payload["summary"]["objects"] > 0
    verified = programme.cli("ledger", "verify")
    assert verified.exit_code == 0, verified.output
    assert "unsigned run evidence: entries 2" in verified.output


def _assessed(p: Programme, system: str) -> dict[str, object]:
    result = p.cli("assess", "--system", system, "--format", "json")
    assert result.exit_code == 0, result.output
    found: dict[str, object] = json.loads(result.output)["systems"][0]
    return found


def test_a_ledger_confirmation_puts_the_proposal_into_effect_in_assess_and_plan(
    programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = programme
    monkeypatch.setenv("GOVCLOUD_LEDGER", str(p.ledger))  # assess and plan find the ledger as every command does
    proposed = "CGJ-007"  # the bundled assessment proposes 整合 into CGJ-004; a proposal changes nothing yet
    before = _assessed(p, proposed)
    assert before["disposition"] == "迁移"
    assert before["proposal"] == {
        "disposition": "整合",
        "merge_into": "CGJ-004",
        "status": "proposed",
        "confirmed_by": None,
        "confirmed_on": None,
    }
    # a confirmation of something else than the proposal (下线) is recorded but never applied
    stale = p.cli("ledger", "confirm", proposed, "--disposition", "下线", "--reason", "wrong call", key="lead")
    assert stale.exit_code == 0, stale.output
    assert _assessed(p, proposed)["disposition"] == "迁移"

    confirmed = p.cli(
        "ledger", "confirm", proposed, "--disposition", "整合", "--merge-into", "CGJ-004",
        "--reason", "same function and data as CGJ-004", key="lead",
    )  # fmt: skip
    assert confirmed.exit_code == 0, confirmed.output
    after = _assessed(p, proposed)
    assert after["disposition"] == "整合"
    assert after["merge_into"] == "CGJ-004"
    assert isinstance(after["proposal"], dict)
    assert after["proposal"]["status"] == "confirmed"
    assert after["proposal"]["confirmed_by"] == "lead.cgj"

    written = p.cli("plan", "--write", "--plans", str(p.plans))
    assert written.exit_code == 0, written.output
    plan = yamlio.read_fast((p.plans / f"{proposed}.yaml").read_text(encoding="utf-8"))
    assert plan["kind"] == "decommission"
    assert plan["merge_into"] == "CGJ-004"
    assert "stages" not in plan
