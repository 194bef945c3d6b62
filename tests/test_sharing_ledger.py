"""Every ``govcloud share`` step is a signed ledger entry when a ledger is kept: roles checked, tampering found.

Real keys (ssh-keygen), a real roster, a real SQLite ledger, the CLI end to end on a copy of the bundled city.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app
from govcloud.orchestration.edges import store
from govcloud.sharing.edges import request_files
from ledger_team import Programme, make_key, make_programme

CONDITIONAL = "10502704/0000145"  # CGJ's 有条件共享 entry
REQUEST = "SQ-2025-0001"

SHARING_PEOPLE = """\
  - id: head.clb
    name: 城管执法局共享工作机构负责人
    roles:
      - {{role: sharing_head, departments: [CLB]}}
    keys: ["{clb}"]
  - id: head.cgj
    name: 城管局共享工作机构负责人
    roles:
      - {{role: sharing_head, departments: [CGJ]}}
    keys: ["{cgj}"]
  - id: dsj.authority
    name: 市数据局
    roles: [sharing_authority]
    keys: ["{authority}"]
"""


@pytest.fixture
def programme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Programme:
    key_dir = tmp_path / "sharing-keys"
    key_dir.mkdir()
    keys = {who: make_key(key_dir, who) for who in ("clb", "cgj", "authority")}
    public = {who: path.with_name(path.name + ".pub").read_text().strip() for who, path in keys.items()}
    made = make_programme(tmp_path, extra_people=SHARING_PEOPLE.format(**public))
    made.keys.update(keys)
    monkeypatch.chdir(made.root)
    monkeypatch.delenv("GOVCLOUD_LEDGER", raising=False)
    monkeypatch.delenv("GOVCLOUD_SIGNING_KEY", raising=False)
    return made


def share(p: Programme, *args: str, key: str | None = None, ledger: bool = True) -> tuple[int, str]:
    argv = ["share", *args, "--inventory", str(p.inventory)]
    if ledger:
        argv += ["--ledger", str(p.ledger)]
    if key is not None:
        argv += ["--key", str(p.keys[key])]
    result = CliRunner().invoke(app, argv)
    return result.exit_code, result.output


REQUEST_ARGS = (
    "request",
    "--requester",
    "CLB",
    "--consumer",
    "CLB-001",
    "--resource",
    CONDITIONAL,
    "--basis",
    "《城市市容和环境卫生管理条例》",
    "--scenario",
    "联合执法",
    "--until",
    "2026-06-30",
    "--by",
    "城管执法局共享工作机构负责人",
    "--on",
    "2025-09-26",
)


def entries(p: Programme) -> list[dict[str, object]]:
    if not p.ledger.exists():
        return []
    with store.open_ledger(p.ledger, create=False) as ledger:
        return [store._row_to_entry(row).to_json() for row in ledger.iter_rows()]


def test_each_step_is_signed_by_the_role_the_regulation_names_and_verify_passes(programme: Programme) -> None:
    p = programme
    path = request_files.request_path(p.inventory, REQUEST)

    # the provider's head cannot approve the requester's request (named as the approver and signing): refused,
    # nothing written anywhere
    as_cgj = tuple("城管局共享工作机构负责人" if a == "城管执法局共享工作机构负责人" else a for a in REQUEST_ARGS)
    code, output = share(p, *as_cgj, key="cgj")
    assert code == 1
    assert "sharing_head of CLB" in output
    assert not path.exists()
    assert entries(p) == []

    code, output = share(p, *REQUEST_ARGS, key="clb")
    assert code == 0, output
    (first,) = entries(p)
    assert (first["kind"], first["actor"], first["department"], first["system"]) == (
        "share.request",
        "head.clb",
        "CLB",
        "CLB-001",
    )
    assert first["payload"]["request"] == REQUEST  # type: ignore[index]
    evidence = first["evidence"][0]  # type: ignore[index]
    assert evidence["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()

    extend = ("extend", REQUEST, "--days", "5", "--consented-by", "市数据局", "--reason", "核对", "--on", "2025-10-15")
    by_cgj = tuple("城管局共享工作机构负责人" if a == "市数据局" else a for a in extend)
    code, output = share(p, *by_cgj, key="cgj")  # the 主管部门 consents, not the provider
    assert code == 1
    assert "sharing_authority" in output
    assert "days: 5" not in path.read_text(encoding="utf-8")
    assert share(p, *extend, key="authority")[0] == 0

    answer = ("answer", REQUEST, "grant", "--by", "城管局共享工作机构负责人", "--on", "2025-10-22")
    by_clb = tuple("城管执法局共享工作机构负责人" if a == "城管局共享工作机构负责人" else a for a in answer)
    code, output = share(p, *by_clb, key="clb")  # the answer is the provider's head's
    assert code == 1
    assert "sharing_head of CGJ" in output
    assert "已同意" not in path.read_text(encoding="utf-8")
    for args, who in (
        (answer, "cgj"),
        (("deliver", REQUEST, "--on", "2025-11-03"), "cgj"),
        (("suspend", REQUEST, "--reason", "超范围使用", "--on", "2025-11-10"), "cgj"),
        (("resume", REQUEST, "--on", "2025-11-12"), "cgj"),
        (("dispute", REQUEST, "--note", "暂停依据有异议", "--on", "2025-11-13"), "clb"),
    ):
        code, output = share(p, *args, key=who)
        assert code == 0, output
    kinds = [(e["kind"], e["actor"], e["department"]) for e in entries(p)]
    assert kinds == [
        ("share.request", "head.clb", "CLB"),
        ("share.extend", "dsj.authority", "CGJ"),
        ("share.answer", "head.cgj", "CGJ"),
        ("share.deliver", "head.cgj", "CGJ"),
        ("share.suspend", "head.cgj", "CGJ"),
        ("share.resume", "head.cgj", "CGJ"),
        ("share.dispute", "head.clb", "CLB"),
    ]
    states = [(e["payload"]["from"], e["payload"]["to"]) for e in entries(p)]  # type: ignore[index]
    assert states[2] == ("已申请", "已同意")
    assert states[4] == ("已提供", "已暂停")
    last = entries(p)[-1]["evidence"][0]  # type: ignore[index]
    assert last["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()  # the file as it now is

    verified = p.cli("ledger", "verify")
    assert verified.exit_code == 0, verified.output
    assert "chain intact: 7 entries" in verified.output


def test_a_tampered_sharing_entry_fails_verify(programme: Programme) -> None:
    p = programme
    assert share(p, *REQUEST_ARGS, key="clb")[0] == 0
    answer = ("answer", REQUEST, "grant", "--by", "城管局共享工作机构负责人", "--on", "2025-10-09")
    assert share(p, *answer, key="cgj")[0] == 0
    assert p.cli("ledger", "verify").exit_code == 0
    db = sqlite3.connect(p.ledger)
    db.execute("DROP TRIGGER entries_no_update")
    (seq, payload) = db.execute("SELECT seq, payload FROM entries WHERE kind = 'share.answer'").fetchone()
    changed = json.loads(payload) | {"granted": False}
    db.execute("UPDATE entries SET payload = ? WHERE seq = ?", (json.dumps(changed, ensure_ascii=False), seq))
    db.commit()
    db.close()
    broken = p.cli("ledger", "verify")
    assert broken.exit_code == 1
    assert f"entry {seq} was edited" in broken.output


def test_with_a_ledger_an_unsigned_step_is_refused_and_writes_nothing(programme: Programme) -> None:
    p = programme
    code, output = share(p, *REQUEST_ARGS)
    assert code == 1
    assert "--key" in output
    assert not request_files.request_path(p.inventory, REQUEST).exists()
    assert not p.ledger.exists()


def test_without_a_ledger_steps_are_request_files_only(programme: Programme) -> None:
    p = programme
    code, output = share(p, *REQUEST_ARGS, ledger=False)  # no --ledger and no .govcloud/ledger.sqlite
    assert code == 0, output
    assert request_files.request_path(p.inventory, REQUEST).exists()
    assert not p.ledger.exists()
    # once the programme keeps a ledger (the default file exists), the next step must be signed
    assert p.cli("advance", "CGJ-006", "network", "--to", "in_progress", key="lead").exit_code == 0
    assert p.ledger.exists()
    answer = ("answer", REQUEST, "grant", "--by", "head.cgj", "--on", "2025-10-09")  # by id: the key's owner
    code, output = share(p, *answer, ledger=False)
    assert code == 1
    assert "records every sharing step" in output
    assert share(p, *answer, key="cgj", ledger=False)[0] == 0
    assert [e["kind"] for e in entries(p)][-1] == "share.answer"


@pytest.mark.parametrize(
    ("step", "key", "option"),
    [
        ("request", "clb", "--by"),
        ("answer", "cgj", "--by"),
        ("extend", "authority", "--consented-by"),
    ],
)
def test_the_approver_named_must_own_the_signing_key(programme: Programme, step: str, key: str, option: str) -> None:
    """``--by`` / ``--consented-by`` name who approved; with a ledger, that is the signer: anyone else is refused,
    with the file and field named, and nothing is written (neither the request file nor a ledger entry)."""
    p = programme
    path = request_files.request_path(p.inventory, REQUEST)
    if step != "request":
        assert share(p, *REQUEST_ARGS, key="clb")[0] == 0
    args = {
        "request": REQUEST_ARGS,
        "answer": ("answer", REQUEST, "grant", "--by", "城管局共享工作机构负责人", "--on", "2025-10-09"),
        "extend": (
            "extend",
            REQUEST,
            "--days",
            "5",
            "--consented-by",
            "市数据局",
            "--reason",
            "核对",
            "--on",
            "2025-10-09",
        ),
    }[step]
    named = args[args.index(option) + 1]
    before_text = path.read_text(encoding="utf-8") if path.exists() else None
    before_entries = entries(p)
    impostor = tuple("李四" if a == named else a for a in args)
    code, output = share(p, *impostor, key=key)
    assert code == 1
    assert f"{option} names '李四'" in output
    assert f"must name '{named}'" in output
    assert f"{REQUEST}.yaml" in output
    assert (path.read_text(encoding="utf-8") if path.exists() else None) == before_text
    assert entries(p) == before_entries
    # the key's owner, by name: accepted and recorded
    code, output = share(p, *args, key=key)
    assert code == 0, output
    assert len(entries(p)) == len(before_entries) + 1


def test_without_a_ledger_the_approver_is_not_checked_against_a_key(programme: Programme) -> None:
    code, output = share(
        programme, *(("李四" if a == "城管执法局共享工作机构负责人" else a) for a in REQUEST_ARGS), ledger=False
    )
    assert code == 0, output
