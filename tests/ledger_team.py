"""A programme for ledger tests: a tmp copy of the bundled inventory and plans, real ssh-keygen keys, a roster."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

from typer.testing import CliRunner, Result

from govcloud.cli import app
from govcloud.orchestration.edges import store

REPO_ROOT = Path(__file__).resolve().parent.parent


def make_key(directory: Path, name: str, key_type: str = "ed25519") -> Path:
    """A real key made by ssh-keygen (no passphrase); returns the private key's path."""
    path = directory / name
    args = ["ssh-keygen", "-q", "-t", key_type, "-N", "", "-C", name, "-f", str(path)]
    if key_type == "ecdsa":
        args[4:4] = ["-b", "256"]
    subprocess.run(args, check=True)
    return path


@dataclasses.dataclass(frozen=True)
class Programme:
    root: Path
    inventory: Path
    plans: Path
    ledger: Path
    keys: dict[str, Path]

    def key(self, who: str) -> Path:
        return self.keys[who]

    def cli(self, *args: str, key: str | None = None) -> Result:
        """Run govcloud with this programme's inventory, plans and ledger (and ``who``'s key)."""
        argv = list(args)
        command = argv[0]
        if command in {"advance", "status"} or (command == "ledger" and argv[1] in {"replay", "adopt"}):
            argv += ["--plans", str(self.plans)]
        argv += ["--inventory", str(self.inventory)]
        if command in {"advance", "status", "report"} or (command == "ledger" and argv[1] != "allowed-signers"):
            argv += ["--ledger", str(self.ledger)]
        if key is not None:
            argv += ["--key", str(self.keys[key])]
        return CliRunner().invoke(app, argv, catch_exceptions=False)


ROSTER = """\
people:
  - id: lead.cgj
    name: 城管局迁移负责人
    roles:
      - {{role: migration_lead, departments: [CGJ, MZJ]}}
    keys: ["{lead}"]
  - id: lead.gaj
    name: 公安局迁移负责人
    roles:
      - {{role: migration_lead, departments: [GAJ]}}
    keys: ["{other_lead}"]
  - id: po.wang
    name: 王芳
    roles: [programme_office]
    keys: ["{po}"]
  - id: sec.chen
    name: 陈静
    roles: [security_officer]
    keys: ["{sec}"]
  - id: ops.liu
    name: 刘伟
    roles: [ops_engineer]
    keys: ["{ops}"]
"""


def make_programme(tmp_path: Path, *, extra_people: str = "") -> Programme:
    inventory = Path(shutil.copytree(REPO_ROOT / "inventory", tmp_path / "inventory"))
    plans = Path(shutil.copytree(REPO_ROOT / "migrations_plan", tmp_path / "migrations_plan"))
    key_dir = tmp_path / "keys"
    key_dir.mkdir()
    keys = {who: make_key(key_dir, who) for who in ("lead", "other_lead", "po", "sec", "ops", "outsider")}
    public = {who: path.with_name(path.name + ".pub").read_text().strip() for who, path in keys.items()}
    (inventory / "people.yaml").write_text(ROSTER.format(**public) + extra_people, encoding="utf-8")
    return Programme(tmp_path, inventory, plans, tmp_path / ".govcloud" / "ledger.sqlite", keys)


def ledger_entries(programme: Programme) -> int:
    """How many entries the programme's ledger holds (0 before the first one creates it)."""
    if not programme.ledger.exists():
        return 0
    with store.open_ledger(programme.ledger, create=False) as ledger:
        return ledger.count()
