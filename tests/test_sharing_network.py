"""The zone routers get the day's sharing grants exactly as ``render`` does: no grant, no path to the exchange.

The bundled city's HBJ-001 sits in the Internet access zone (no baseline path to the exchange) with its data
stage under way and a delivered grant (``sharing/requests/SQ-2026-0003.yaml``): its path through the routers
exists while the grant is active, and goes with the grant (no request files, or the grant suspended).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from govcloud.app import network as app_network
from govcloud.app import rendering
from govcloud.app.workspace import Workspace
from govcloud.sharing.core import requests
from govcloud.sharing.edges import request_files

REPO = Path(__file__).resolve().parents[1]
CONSUMER = "HBJ-001"
GRANT = "SQ-2026-0003"


def _walk(value: object) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)


def _grant_rules(inventory_dir: Path, plans_dir: Path) -> list[dict[str, Any]]:
    """Every router rule that lets CONSUMER reach the exchange, from the Ansible inventory the playbooks read."""
    shape = app_network.ansible_inventory(inventory_dir, plans_dir)
    rulesets = [v["govcloud_firewall"] for v in shape.hostvars.values() if "govcloud_firewall" in v]
    return [
        rule
        for rule in _walk(rulesets)
        if f"system:{CONSUMER}" in rule.get("sources", ()) and "platform:exchange" in rule.get("destinations", ())
    ]


def _rendered_mentions(inventory_dir: Path, plans_dir: Path, text: str) -> bool:
    state = rendering.desired_state(Workspace(inventory_dir=inventory_dir, plans_dir=plans_dir))
    return text in json.dumps(list(state.all()), ensure_ascii=False, default=str)


def _copy(tmp_path: Path, *, with_requests: bool) -> tuple[Path, Path]:
    inventory_dir = Path(shutil.copytree(REPO / "inventory", tmp_path / "inventory"))
    plans_dir = Path(shutil.copytree(REPO / "migrations_plan", tmp_path / "migrations_plan"))
    if with_requests:
        shutil.copytree(REPO / "sharing", tmp_path / "sharing")
    return inventory_dir, plans_dir


def test_the_routers_open_the_granted_consumers_path_as_render_does(tmp_path: Path) -> None:
    inventory_dir, plans_dir = _copy(tmp_path, with_requests=True)
    rules = _grant_rules(inventory_dir, plans_dir)
    assert rules, "the grant opens HBJ-001's path through the zone router"
    assert all(GRANT in str(rule["comment"]) for rule in rules)
    assert all(rule["ports"] == [443] for rule in rules)
    assert _rendered_mentions(inventory_dir, plans_dir, f"{CONSUMER}.10100400_0000816")  # render's list too


def test_without_request_files_or_with_the_grant_suspended_the_routers_close_the_path(tmp_path: Path) -> None:
    inventory_dir, plans_dir = _copy(tmp_path, with_requests=False)
    assert _grant_rules(inventory_dir, plans_dir) == []

    shutil.copytree(REPO / "sharing", tmp_path / "sharing")
    assert _grant_rules(inventory_dir, plans_dir)
    request_files.transition(
        inventory_dir, GRANT, lambda r: requests.suspend(r, on=dt.date.today(), reason="超范围使用")
    )
    assert _grant_rules(inventory_dir, plans_dir) == []
    assert not _rendered_mentions(inventory_dir, plans_dir, f"{CONSUMER}.10100400_0000816")


def test_the_stage_playbooks_chains_carry_the_same_grant(tmp_path: Path) -> None:
    inventory_dir, plans_dir = _copy(tmp_path, with_requests=True)
    chains = json.dumps(app_network.stage_vars(inventory_dir, plans_dir, CONSUMER)["chains"], ensure_ascii=False)
    assert GRANT in chains
    shutil.rmtree(tmp_path / "sharing")
    chains = json.dumps(app_network.stage_vars(inventory_dir, plans_dir, CONSUMER)["chains"], ensure_ascii=False)
    assert GRANT not in chains
