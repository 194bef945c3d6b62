"""govcloud diff over a real git history: several authors change the census and the plans, one through the ledger.

The repository is the bundled inventory and plans (a ledger-team programme: real ssh-keygen keys, a roster),
committed by a base author; then, commit by commit:

1. the department's lead advances CGJ-006's network stage with ``govcloud advance`` (signed into the ledger)
   and 刘伟 commits the plan file it wrote: the ledger accounts for that change;
2. 赵强 edits the plans by hand: CGJ-006's data stage to done, CGJ-001's disposition to 下线;
3. 孙丽 (signed with an SSH key) edits the census: an entry holding personal data items to 无条件共享, CGJ-001
   into the Internet access zone;
4. 周敏 edits the plans: removes CGJ-006's data exit gate, changes its owner, marks a 业务专网 retired;
5. 赵强 again: the same entry's abstract, which 孙丽 had also edited: that field is his, its sharing hers.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from govcloud.audit.core import attribution
from govcloud.audit.core.diff import Risk
from govcloud.audit.edges import diff_report, history
from govcloud.census.core.personal_data import personal_items
from govcloud.cli import app
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import inventory_files
from ledger_team import Programme, make_programme

AUTHORS = {
    "base": ("市大数据局 配置管理", "cm@bigdata.lj.gov.cn"),
    "ops": ("刘伟", "liu.wei@bigdata.lj.gov.cn"),
    "hand": ("赵强", "zhao.qiang@cgj.lj.gov.cn"),
    "census": ("孙丽", "sun.li@bigdata.lj.gov.cn"),
    "plans": ("周敏", "zhou.min@cgj.lj.gov.cn"),
}


def _git(repo: Path, *args: str, who: str = "base", env: dict[str, str] | None = None) -> str:
    name, email = AUTHORS[who]
    return subprocess.run(
        ["git", "-C", str(repo), "-c", f"user.name={name}", "-c", f"user.email={email}", *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout


def _commit(repo: Path, message: str, who: str, *extra: str) -> str:
    _git(repo, "add", "-A", who=who)
    _git(repo, "commit", "-q", *extra, "-m", message, who=who)
    return _git(repo, "rev-parse", "HEAD").strip()


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _personal_entry(inventory: model.Inventory) -> model.CatalogueEntry:
    return next(
        e
        for e in inventory.catalogue
        if e.sharing.type is model.SharingType.CONDITIONAL and len(personal_items(e)) >= 1 and not e.open.open
    )


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("audit")
    p: Programme = make_programme(root)
    (root / ".gitignore").write_text("keys/\n.govcloud/\n", encoding="utf-8")
    _git(root, "init", "-q", "-b", "main")
    commits = {"base": _commit(root, "census and plans as the programme office approved them", "base")}

    # 1. through the ledger
    result = p.cli("advance", "CGJ-006", "network", "--to", "in_progress", key="lead")
    assert result.exit_code == 0, result.output
    commits["ops"] = _commit(root, "CGJ-006 网络通 started (govcloud advance)", "ops")

    # 2. by hand in the plans
    plan = p.plans / "CGJ-006.yaml"
    text = plan.read_text(encoding="utf-8")
    data_block = text.index("  - stage: data")
    plan.write_text(
        text[:data_block] + text[data_block:].replace("    status: pending", "    status: done", 1), encoding="utf-8"
    )
    _edit(p.plans / "CGJ-001.yaml", "disposition: 迁移\n", "disposition: 下线\n")
    commits["hand"] = _commit(root, "CGJ-006 数据通 done; CGJ-001 retired", "hand")

    # 3. the census, signed with an SSH key
    inventory = inventory_files.load_inventory(p.inventory).inventory
    entry = _personal_entry(inventory)
    loosened = entry.model_copy(
        update={
            "sharing": model.Sharing(type=model.SharingType.UNCONDITIONAL, conditions="无条件"),
            "abstract": "面向全市共享",
        }
    )
    moved = inventory.system_by_code["CGJ-001"]
    assert moved.cloud is not None
    systems = tuple(
        s.model_copy(update={"cloud": moved.cloud.model_copy(update={"zone": "INET"})}) if s.code == "CGJ-001" else s
        for s in inventory.systems
    )
    catalogue = tuple(loosened if e.code == entry.code else e for e in inventory.catalogue)
    inventory_files.write_inventory(
        p.inventory, inventory.model_copy(update={"systems": systems, "catalogue": catalogue})
    )
    signing_key = p.key("po")
    allowed = root / "keys" / "allowed_signers"
    allowed.write_text(
        f"{AUTHORS['census'][1]} " + signing_key.with_name(signing_key.name + ".pub").read_text(), encoding="utf-8"
    )
    _git(root, "config", "gpg.format", "ssh")
    _git(root, "config", "gpg.ssh.allowedSignersFile", str(allowed))
    _git(root, "config", "user.signingkey", str(signing_key))
    commits["census"] = _commit(root, "目录: share the entry unconditionally; CGJ-001 public", "census", "-S")

    # 4. gates, owner and a 业务专网 in the plans
    _edit(
        plan,
        "    exit_gates:\n      - {gate: catalogue_published, system: CGJ-006, entries: all}\n",
        "    exit_gates: []\n",
    )
    _edit(plan, "owner: {name: 徐建华,", "owner: {name: 周敏,")
    department = next(
        path for path in sorted((p.plans / "departments").glob("*.yaml")) if "decommission:" in path.read_text()
    )
    _edit(department, "    decommission:\n      status: pending", "    decommission:\n      status: done")
    text = department.read_text(encoding="utf-8")
    retired_network = text[: text.index("    decommission:\n      status: done")].rsplit("  - code: ", 1)[1].split()[0]
    commits["plans"] = _commit(root, "CGJ-006: drop the catalogue gate, new owner; a 业务专网 retired", "plans")

    # 5. the same entry again
    inventory = inventory_files.load_inventory(p.inventory).inventory
    again = inventory.entry_by_code[entry.code]
    catalogue = tuple(
        again.model_copy(update={"abstract": "面向全市各部门无条件共享"}) if e.code == entry.code else e
        for e in inventory.catalogue
    )
    inventory_files.write_inventory(p.inventory, inventory.model_copy(update={"catalogue": catalogue}))
    commits["again"] = _commit(root, "目录: abstract wording", "hand")
    return {
        "root": root,
        "programme": p,
        "commits": commits,
        "entry": entry,
        "network": (department.stem, f"private_networks.{retired_network}.decommission.status"),
    }


def _audit(story: dict[str, Any], *, each_commit: bool = False, ledger: bool = True) -> history.Audit:
    p: Programme = story["programme"]
    return history.audit_range(
        p.inventory,
        p.plans,
        story["commits"]["base"],
        story["commits"]["again"],
        settings=Settings(),
        ledger=p.ledger if ledger else None,
        each_commit=each_commit,
    )


@pytest.fixture(scope="module")
def net(story: dict[str, Any]) -> history.Audit:
    """The net change of the range, attributed, checked against the ledger."""
    return _audit(story)


def _by(audit: history.Audit) -> dict[tuple[str, str, str], attribution.Attributed]:
    return {(a.change.record, a.change.key, a.change.field): a for a in audit.changes}


def test_each_change_is_attributed_to_the_commit_that_made_it(story: dict[str, Any], net: history.Audit) -> None:
    found = _by(net)
    commits, entry = story["commits"], story["entry"]

    def who(record: str, key: str, field: str) -> tuple[str, str]:
        a = found[(record, key, field)]
        return a.commit.hash, a.commit.author

    assert who("plan", "CGJ-006", "stages.network.status") == (commits["ops"], "刘伟")
    assert who("plan", "CGJ-006", "stages.data.status") == (commits["hand"], "赵强")
    assert who("plan", "CGJ-001", "disposition") == (commits["hand"], "赵强")
    assert who("catalogue", entry.code, "sharing.type") == (commits["census"], "孙丽")
    assert who("system", "CGJ-001", "cloud.zone") == (commits["census"], "孙丽")
    assert who("plan", "CGJ-006", "stages.data.exit_gates") == (commits["plans"], "周敏")
    assert who("plan", "CGJ-006", "owner.name") == (commits["plans"], "周敏")
    assert who("department_plan", *story["network"]) == (commits["plans"], "周敏")
    # edited by 孙丽 then by 赵强: the field is his, the sharing type stays hers
    assert who("catalogue", entry.code, "abstract") == (commits["again"], "赵强")
    assert who("catalogue", entry.code, "sharing.conditions") == (commits["census"], "孙丽")
    census_commit = found[("catalogue", entry.code, "sharing.type")].commit
    assert census_commit.message == "目录: share the entry unconditionally; CGJ-001 public"
    assert census_commit.email == "sun.li@bigdata.lj.gov.cn"
    assert census_commit.date.startswith("20")


def test_each_change_is_graded_by_what_it_touches(story: dict[str, Any], net: history.Audit) -> None:
    found = _by(net)
    entry = story["entry"]

    def graded(record: str, key: str, field: str) -> tuple[Risk, str]:
        change = found[(record, key, field)].change
        return change.risk, change.why

    risk, why = graded("plan", "CGJ-006", "stages.network.status")
    assert risk is Risk.LOW
    assert "as the ledger requires" in why
    risk, why = graded("plan", "CGJ-006", "stages.data.status")
    assert risk is Risk.HIGH
    assert "no ledger entry" in why
    assert graded("plan", "CGJ-001", "disposition")[0] is Risk.HIGH
    risk, why = graded("catalogue", entry.code, "sharing.type")
    assert risk is Risk.HIGH
    for item in personal_items(entry):
        assert item in why
    risk, why = graded("system", "CGJ-001", "cloud.zone")
    assert risk is Risk.HIGH
    assert "Internet access zone" in why
    risk, why = graded("plan", "CGJ-006", "stages.data.exit_gates")
    assert risk is Risk.HIGH
    assert "catalogue_published CGJ-006" in why
    assert graded("plan", "CGJ-006", "owner.name")[0] is Risk.MEDIUM
    assert graded("department_plan", *story["network"])[0] is Risk.HIGH
    assert graded("catalogue", entry.code, "sharing.conditions")[0] is Risk.MEDIUM
    assert graded("catalogue", entry.code, "abstract")[0] is Risk.LOW


def test_without_the_ledger_a_stage_set_by_govcloud_advance_cannot_be_told_from_a_hand_edit(
    story: dict[str, Any],
) -> None:
    found = _by(_audit(story, ledger=False))
    network = found[("plan", "CGJ-006", "stages.network.status")].change
    done = found[("plan", "CGJ-006", "stages.data.status")].change
    assert (network.risk, done.risk) == (Risk.MEDIUM, Risk.HIGH)
    assert "no ledger checked" in network.why


def test_each_commit_lists_every_commits_own_changes_in_order(story: dict[str, Any]) -> None:
    audit = _audit(story, each_commit=True)
    commits = story["commits"]
    order = [a.commit.hash for a in audit.changes]
    assert order == sorted(order, key=[commits[k] for k in ("ops", "hand", "census", "plans", "again")].index)
    assert [c.author for c in audit.commits] == ["刘伟", "赵强", "孙丽", "周敏", "赵强"]
    # the entry's abstract changed twice: once by 孙丽, once by 赵强
    edits = [a.commit.author for a in audit.changes if a.change.field == "abstract"]
    assert edits == ["孙丽", "赵强"]


def test_signature_status_comes_from_git(net: history.Audit) -> None:
    audit = net
    status = {c.author: c.signature for c in audit.commits}
    assert status["孙丽"] == "G"
    assert status["周敏"] == "N"
    signed = next(c for c in audit.commits if c.author == "孙丽")
    assert signed.signature_status == "good signature"


def test_cli_json_markdown_and_fail_on(story: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    p: Programme = story["programme"]
    monkeypatch.chdir(story["root"])
    base, head = story["commits"]["base"], story["commits"]["again"]
    args = ["diff", base, head, "--ledger", str(p.ledger)]
    result = CliRunner().invoke(app, [*args, "--format", "json", "--fail-on", "high"])
    assert result.exit_code == 3, result.output  # high-risk changes found
    payload = json.loads(result.stdout)
    assert payload["ledger"] == str(p.ledger)
    assert [c["author"] for c in payload["commits"]] == ["刘伟", "赵强", "孙丽", "周敏", "赵强"]
    done = next(c for c in payload["changes"] if c["field"] == "stages.data.status")
    assert done["commit"]["author"] == "赵强"
    assert done["commit"]["message"] == "CGJ-006 数据通 done; CGJ-001 retired"
    assert done["risk"] == "high"
    markdown = CliRunner().invoke(app, [*args, "--format", "markdown", "--min-risk", "high"]).stdout
    assert markdown.startswith(f"### govcloud diff `{base}..{head}`")
    assert "| **high** | plan | `CGJ-006` | stages.data.status | pending | done |" in markdown
    assert "| risk | record | key | change | old | new | why | commit |" in markdown
    assert "good signature" in markdown
    assert "| low |" not in markdown
    # a range with only the ledger-backed commit: nothing of medium risk or more
    quiet = CliRunner().invoke(
        app, ["diff", base, story["commits"]["ops"], "--ledger", str(p.ledger), "--fail-on", "medium"]
    )
    assert quiet.exit_code == 0, quiet.output


def test_the_table_folds_codes_at_80_columns_instead_of_truncating(story: dict[str, Any], net: history.Audit) -> None:
    audit = net
    console = Console(width=80, record=True, color_system=None)
    for part in diff_report.render_table(audit, list(audit.changes)):
        console.print(part)
    shown = console.export_text()
    assert max(len(line) for line in shown.splitlines()) <= 80
    assert "…" not in shown
    # each cell holds its whole text, folded over lines (compared without the spaces folding adds)
    cells = _cells_of_column(shown, 1) + _cells_of_column(shown, 2)
    assert f"catalogue{story['entry'].code}" in cells
    department, field = story["network"]
    assert f"department_plan{department}" in cells
    assert field in cells


def _cells_of_column(table: str, column: int) -> list[str]:
    """The text of each cell of one column of a rich table with row lines, its lines joined, spaces removed."""
    cells: list[str] = []
    current: list[str] = []
    for line in table.splitlines():
        if line.startswith(("├", "└")):
            if current:
                cells.append("".join(current))
            current = []
        elif line.startswith("│"):
            part = "".join(line.split("│")[column + 1].split())
            if part:
                current.append(part)
    return cells
