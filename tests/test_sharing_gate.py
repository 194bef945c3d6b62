"""The data stage's gate under the 政务数据共享条例: no grant, no data stage done; ``govcloud check`` says so first.

Real files throughout: a copy of the bundled inventory and plans, request files written by the same code the
``share`` commands use, a real signed ledger (``ledger_team``), and ``govcloud advance`` through the CLI.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app
from govcloud.core import example
from govcloud.edges import inventory_files, yamlio
from govcloud.orchestration.core import status, transitions
from govcloud.planning.core import plans
from govcloud.planning.core.stages import Stage
from govcloud.sharing.core import grants, requests
from govcloud.sharing.edges import request_files
from ledger_team import REPO_ROOT, Programme, ledger_entries, make_programme

SYSTEM = "CGJ-006"
"""A bundled system (城管局) whose network stage can be done; it is made to consume two other departments' entries."""
CONDITIONAL = "10100400/0000816"  # GAJ's 公安基础信息, 有条件共享
UNCONDITIONAL = "20204301/0000222"  # another department's 无条件共享 entry
TODAY = dt.date.today()


def _consume(inventory: Path, system: str, codes: tuple[str, ...]) -> None:
    """Make ``system`` (of 城管局) consume ``codes``: a ``consumes`` list after its MLPS level."""
    path = inventory / "departments" / "CGJ.yaml"
    text = path.read_text(encoding="utf-8")
    block = text.index(f"- code: {system}\n")
    at = text.index("  mlps_level:", block)
    end = text.index("\n", at) + 1
    listed = "".join(f"  - {code}\n" for code in codes)
    path.write_text(text[:end] + "  consumes:\n" + listed + text[end:], encoding="utf-8")


def _request(
    inventory: Path,
    request_id: str,
    resource: str,
    *,
    deliver: bool,
    until: dt.date = TODAY + dt.timedelta(days=365),
    consumer: str = SYSTEM,
) -> None:
    """A request of 城管局 for ``resource``, granted 20 days ago and (``deliver``) delivered 10 days ago."""
    loaded = inventory_files.load_inventory(inventory)
    made = requests.SharingRequest(
        id=request_id,
        requester="CGJ",
        consumer=consumer,
        resource=resource,
        basis="《城市市容和环境卫生管理条例》",
        scenario="户外广告审批核验",
        scope=(consumer,),
        method=requests.DeliveryMethod.SERVICE,
        use_until=until,
        approved_by="CGJ 共享工作机构 负责人",
        submitted_on=TODAY - dt.timedelta(days=30),
    )
    request_files.create_request(inventory, made, loaded.inventory)
    entry = loaded.inventory.entry_by_code[resource]

    def answer(r: requests.SharingRequest) -> requests.SharingRequest:
        return requests.answer(
            r,
            entry=entry,
            granted=True,
            on=TODAY - dt.timedelta(days=20),
            approved_by="provider head",
            conditions=None if entry.sharing.conditions else "仅限户外广告审批",
        )

    request_files.transition(inventory, request_id, answer)
    if deliver:
        request_files.transition(inventory, request_id, lambda r: requests.deliver(r, on=TODAY - dt.timedelta(days=10)))


@pytest.fixture
def programme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Programme:
    made = make_programme(tmp_path)
    _consume(made.inventory, SYSTEM, (CONDITIONAL, UNCONDITIONAL))
    monkeypatch.chdir(made.root)
    return made


def _data_status(programme: Programme) -> str:
    data = yamlio.read_fast((programme.plans / f"{SYSTEM}.yaml").read_text(encoding="utf-8"))
    return str(next(s["status"] for s in data["stages"] if s["stage"] == "data"))


def _to_data_in_progress_with_catalogue_overridden(p: Programme) -> None:
    for stage, to in (("network", "in_progress"), ("network", "done"), ("data", "in_progress")):
        result = p.cli("advance", SYSTEM, stage, "--to", to, key="lead")
        assert result.exit_code == 0, result.output
    # its own catalogue gate (one entry unpublished) is not what this test is about: the office overrides it
    office = p.cli(
        "advance",
        SYSTEM,
        "data",
        "--to",
        "done",
        "--override-gate",
        "catalogue_published",
        "--reason",
        "entry withdrawn",
        key="po",
    )
    assert office.exit_code == 0, office.output


def test_data_done_is_refused_without_a_grant_and_a_registration_then_allowed(programme: Programme) -> None:
    p = programme
    _to_data_in_progress_with_catalogue_overridden(p)
    written = ledger_entries(p)

    refused = p.cli("advance", SYSTEM, "data", "--to", "done", key="lead")
    assert refused.exit_code == 1
    assert "exit_gates.statutory.consumption_authorised" in refused.output
    assert f"{CONDITIONAL} (有条件共享) without an active grant" in refused.output
    assert f"{UNCONDITIONAL} (无条件共享) without a registration" in refused.output
    assert ledger_entries(p) == written
    assert _data_status(p) == "in_progress"
    assert _statutory_gate_in_status(p) == (False, "2 of 2 consumed entries not authorised")

    # granted but not delivered: a grant the exchange does not yet honour; a registration for the other
    _request(p.inventory, "SQ-2026-0001", CONDITIONAL, deliver=False)
    _request(p.inventory, "SQ-2026-0002", UNCONDITIONAL, deliver=False)
    still = p.cli("advance", SYSTEM, "data", "--to", "done", key="lead")
    assert still.exit_code == 1
    assert f"{CONDITIONAL} (有条件共享) without an active grant" in still.output
    assert UNCONDITIONAL not in still.output.split("gates that hold")[0]  # registered: no longer a failure
    assert ledger_entries(p) == written

    request_files.transition(
        p.inventory, "SQ-2026-0001", lambda r: requests.deliver(r, on=TODAY - dt.timedelta(days=10))
    )
    assert _statutory_gate_in_status(p) == (True, "2 of 2 consumed entries authorised")
    done = p.cli("advance", SYSTEM, "data", "--to", "done", key="lead")
    assert done.exit_code == 0, done.output
    assert _data_status(p) == "done"
    assert ledger_entries(p) == written + 1
    assert p.cli("ledger", "verify").exit_code == 0


def _statutory_gate_in_status(p: Programme) -> tuple[bool, str]:
    """What ``govcloud status`` shows of the data stage's statutory gate of SYSTEM (in progress)."""
    shown = p.cli("status", "--department", "CGJ", "--format", "json")
    assert shown.exit_code == 0, shown.output
    row = next(r for r in json.loads(shown.output)["rows"] if (r["system"], r["stage"]) == (SYSTEM, "data"))
    (gate,) = [g for g in row["gates"] if g["where"] == "exit_gates.statutory.consumption_authorised"]
    return gate["holds"], gate["evidence"].split(" on ")[0].split(":")[0]


def test_an_expired_grant_does_not_open_the_gate(programme: Programme) -> None:
    p = programme
    _request(p.inventory, "SQ-2026-0001", CONDITIONAL, deliver=True, until=TODAY - dt.timedelta(days=1))
    _request(p.inventory, "SQ-2026-0002", UNCONDITIONAL, deliver=True)
    _to_data_in_progress_with_catalogue_overridden(p)
    refused = p.cli("advance", SYSTEM, "data", "--to", "done", key="lead")
    assert refused.exit_code == 1
    assert f"{CONDITIONAL} (有条件共享) without an active grant" in refused.output


def _check(inventory: Path, plans_dir: Path | None = None) -> tuple[int, str]:
    args = ["check", "--inventory", str(inventory), "--all-warnings"]
    if plans_dir is not None:
        args += ["--plans", str(plans_dir)]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output


def _consumes_line(inventory: Path, code: str) -> int:
    text = (inventory / "departments" / "CGJ.yaml").read_text(encoding="utf-8")
    block = text.index(f"- code: {SYSTEM}\n")
    return text[: text.index(f"  - {code}\n", block)].count("\n") + 1


def _set_data_status(plans_dir: Path, value: str) -> None:
    path = plans_dir / f"{SYSTEM}.yaml"
    text = path.read_text(encoding="utf-8")
    at = text.index("stage: data")
    status_at = text.index("status: pending", at)
    path.write_text(text[:status_at] + f"status: {value}" + text[status_at + len("status: pending") :], "utf-8")


def test_check_warns_before_the_data_stage_and_errs_once_it_is_under_way(tmp_path: Path) -> None:
    root = Path(shutil.copytree(REPO_ROOT / "inventory", tmp_path / "inventory"))
    plans_dir = Path(shutil.copytree(REPO_ROOT / "migrations_plan", tmp_path / "plans"))
    shutil.copytree(REPO_ROOT / "sharing", tmp_path / "sharing")  # the bundled grants of GXS-007 and HBJ-001
    _consume(root, SYSTEM, (CONDITIONAL, UNCONDITIONAL))
    line = _consumes_line(root, CONDITIONAL)
    where = f"{root / 'departments' / 'CGJ.yaml'}:{line}: systems."

    code, output = _check(root, plans_dir)  # CGJ-006's data stage is pending: warnings only
    assert code == 0, output
    warned = [x for x in output.splitlines() if x.startswith("warning: ") and f"{SYSTEM} consumes {CONDITIONAL}" in x]
    assert len(warned) == 1
    assert where in warned[0]
    assert ".consumes.0:" in warned[0]
    assert f"{SYSTEM} consumes {UNCONDITIONAL} (无条件共享) without a registration" in output

    _set_data_status(plans_dir, "in_progress")
    code, output = _check(root, plans_dir)
    assert code == 1
    errors = [x for x in output.splitlines() if x.startswith(str(root)) and SYSTEM in x]
    assert len(errors) == 1  # the 有条件共享 consumption; the 无条件共享 one stays a warning
    assert errors[0].startswith(where)
    assert f"{CONDITIONAL} (有条件共享) without an active grant" in errors[0]
    assert "the 政务数据共享条例's requirements are not met" in output

    _request(root, "SQ-2026-0101", CONDITIONAL, deliver=True)
    code, output = _check(root, plans_dir)
    assert code == 0, output
    assert f"{SYSTEM} consumes {CONDITIONAL}" not in output
    assert "4 sharing request(s)" in output


def test_a_grant_for_another_system_of_the_department_does_not_cover_this_one(tmp_path: Path) -> None:
    root = Path(shutil.copytree(REPO_ROOT / "inventory", tmp_path / "inventory"))
    plans_dir = Path(shutil.copytree(REPO_ROOT / "migrations_plan", tmp_path / "plans"))
    shutil.copytree(REPO_ROOT / "sharing", tmp_path / "sharing")  # the bundled grants of GXS-007 and HBJ-001
    _consume(root, SYSTEM, (CONDITIONAL,))
    _set_data_status(plans_dir, "in_progress")
    _request(root, "SQ-2026-0101", CONDITIONAL, deliver=True, consumer="CGJ-001")
    code, output = _check(root, plans_dir)
    assert code == 1
    assert f"{SYSTEM} consumes {CONDITIONAL} (有条件共享) without an active grant" in output


# --- the two gate evaluators agree ----------------------------------------------------------------------


def test_the_status_evaluator_gives_the_planning_cores_verdict_for_the_consumption_gate(
    small_city: example.ExampleCity,
) -> None:
    inventory = small_city.inventory
    facts = status.system_facts(inventory)
    consuming = [s for s in inventory.systems if grants.consumed_needing_authorisation(s, inventory)]
    assert consuming
    first = consuming[0]
    item = grants.consumed_needing_authorisation(first, inventory)[0]
    allowed = grants.Authorisations(TODAY, frozenset({(first.code, item.resource)}), frozenset())
    for authorised in (None, allowed):
        context = status.GateContext(facts, {}, {}, authorisations=authorised)
        for system in inventory.systems:
            gate = plans.Gate(gate=plans.GateKind.CONSUMPTION_AUTHORISED, system=system.code)
            expected = plans.evaluate_gate(gate, inventory, {}, authorisations=authorised)
            assert status.evaluate_gate(gate, context) == expected


def _stage(stage: Stage, *exit_gates: plans.Gate) -> plans.StagePlan:
    day = dt.date(2027, 1, 4)
    return plans.StagePlan(stage=stage, target_start=day, target_end=day, exit_gates=exit_gates)


def test_the_data_stage_exit_always_checks_the_consumption_gate_and_other_stages_do_not() -> None:
    data = _stage(Stage.DATA)
    gates = transitions.gates_for(transitions.LedgerStatus.DONE, data, system="X-1")
    assert [(w, g.gate) for w, g in gates] == [
        ("exit_gates.statutory.consumption_authorised", plans.GateKind.CONSUMPTION_AUTHORISED)
    ]
    named = _stage(Stage.DATA, plans.Gate(gate=plans.GateKind.CONSUMPTION_AUTHORISED, system="X-1"))
    assert [w for w, _ in transitions.gates_for(transitions.LedgerStatus.DONE, named, system="X-1")] == ["exit_gates.0"]
    assert transitions.gates_for(transitions.LedgerStatus.IN_PROGRESS, data, system="X-1") == []
    network = _stage(Stage.NETWORK)
    assert transitions.gates_for(transitions.LedgerStatus.DONE, network, system="X-1") == []


def test_a_registration_is_a_granted_unexpired_request_and_a_suspension_ends_it() -> None:
    request = requests.SharingRequest(
        id="SQ-2026-0001",
        requester="CGJ",
        consumer="CGJ-001",
        resource=UNCONDITIONAL,
        basis="b",
        scenario="s",
        scope=("CGJ-001",),
        method=requests.DeliveryMethod.SERVICE,
        use_until=dt.date(2026, 12, 31),
        approved_by="a",
        submitted_on=dt.date(2026, 1, 5),
    )
    assert not grants.is_registration(request, dt.date(2026, 2, 1))  # submitted, not answered
    answered = request.model_copy(
        update={
            "state": requests.RequestState.GRANTED,
            "answer": requests.Answer(granted=True, date=dt.date(2026, 1, 6), approved_by="p"),
        }
    )
    assert grants.is_registration(answered, dt.date(2026, 2, 1))
    assert not grants.is_registration(answered, dt.date(2027, 1, 1))  # past its 使用时限
    delivered = requests.deliver(answered, on=dt.date(2026, 1, 7))
    suspended = requests.suspend(delivered, on=dt.date(2026, 3, 1), reason="超范围使用")
    assert grants.is_registration(delivered, dt.date(2026, 3, 2))
    assert not grants.is_registration(suspended, dt.date(2026, 3, 2))
    refused = request.model_copy(
        update={
            "state": requests.RequestState.REFUSED,
            "answer": requests.Answer(granted=False, date=dt.date(2026, 1, 6), approved_by="p", reasons="r"),
        }
    )
    assert not grants.is_registration(refused, dt.date(2026, 2, 1))
