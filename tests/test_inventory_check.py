"""`govcloud check`: every check of issue 2 point 3, on broken copies of the bundled inventory.

Each case edits the YAML text of a copy and names where the error must be: the file, the exact line (found
by searching the edited text, not by asking govcloud), the field path and a fragment of the message.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from govcloud.census.core import codes
from govcloud.edges import inventory_files, yamlio
from govcloud.errors import InputError, Problem

GOVCLOUD = Path(sys.executable).with_name("govcloud")
FGW = "departments/FGW.yaml"
JYJ = "departments/JYJ.yaml"
FGW_001 = "- code: FGW-001\n"  # the first system of FGW.yaml
FGW_ENTRY_0 = "- code: 30100000/0000001\n"  # FGW's first catalogue entry (有条件共享)
FGW_ENTRY_1 = "- code: 30200001/0000002\n"  # FGW's second catalogue entry (无条件共享)


@dataclasses.dataclass
class Copy:
    """A writable inventory copy, edited as text; every edit returns the 1-based line it touched."""

    root: Path

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def write(self, rel: str, text: str) -> None:
        (self.root / rel).write_text(text, encoding="utf-8")

    def line(self, rel: str, needle: str, *, after: Anchors = ()) -> int:
        """Line where ``needle`` first occurs after the anchors (each searched after the one before)."""
        text = self.read(rel)
        return text.count("\n", 0, text.index(needle, _position(text, after))) + 1

    def replace(self, rel: str, old: str, new: str, *, after: Anchors = ()) -> int:
        text = self.read(rel)
        at = text.index(old, _position(text, after))
        self.write(rel, text[:at] + new + text[at + len(old) :])
        return text.count("\n", 0, at) + 1

    def set_value(self, rel: str, key: str, value: str, *, after: Anchors) -> int:
        """Replace the value of the first line starting with ``key`` (indentation included) after the anchors."""
        text = self.read(rel)
        match = re.compile(rf"^{re.escape(key)}.*$", re.MULTILINE).search(text, _position(text, after))
        assert match is not None, key
        self.write(rel, text[: match.start()] + f"{key} {value}" + text[match.end() :])
        return text.count("\n", 0, match.start()) + 1

    def delete_line(self, rel: str, key: str, *, after: Anchors) -> None:
        text = self.read(rel)
        match = re.compile(rf"^{re.escape(key)}.*\n", re.MULTILINE).search(text, _position(text, after))
        assert match is not None, key
        self.write(rel, text[: match.start()] + text[match.end() :])

    def insert_after(self, rel: str, anchor: str, lines: str) -> int:
        """Insert ``lines`` after the line that ``anchor`` ends; return the first inserted line."""
        text = self.read(rel)
        at = text.index(anchor) + len(anchor)
        assert text[at - 1] == "\n", "an anchor ends its line"
        self.write(rel, text[:at] + lines + text[at:])
        return text.count("\n", 0, at) + 1


Anchors = str | tuple[str, ...]
Mutation = Callable[[Copy], int]


def _position(text: str, anchors: Anchors) -> int:
    at = 0
    for anchor in (anchors,) if isinstance(anchors, str) else anchors:
        at = text.index(anchor, at)
    return at


def _problems(root: Path) -> list[Problem]:
    with pytest.raises(InputError) as raised:
        inventory_files.load_inventory(root)
    return list(raised.value.problems)


def _uscc(copy: Copy, rel: str) -> str:
    match = re.search(r"^  uscc: '?(\w+)'?$", copy.read(rel), re.MULTILINE)
    assert match is not None
    return match.group(1)


# ---------------------------------------------------------------------------------------------------------
# Mutations that need more than one edit


def _duplicate_catalogue_code(c: Copy) -> int:
    first_jyj_entry = re.search(r"^catalogue:\n- code: (\S+)\n", c.read(JYJ), re.MULTILINE)
    assert first_jyj_entry is not None
    return c.replace(JYJ, f"- code: {first_jyj_entry.group(1)}\n", FGW_ENTRY_0)


def _duplicate_credit_code(c: Copy) -> int:
    return c.set_value(JYJ, "  uscc:", f"'{_uscc(c, FGW)}'", after="department:")


def _wrong_final_check_char(c: Copy) -> int:
    code = _uscc(c, FGW)
    wrong = next(ch for ch in codes.USCC_ALPHABET if ch != code[17])
    return c.set_value(FGW, "  uscc:", f"'{code[:17]}{wrong}'", after="department:")


def _wrong_org_check_char(c: Copy) -> int:
    code = _uscc(c, FGW)
    first17 = code[:16] + next(ch for ch in "0123456789" if ch != code[16])
    return c.set_value(FGW, "  uscc:", f"'{first17}{codes.uscc_check_char(first17)}'", after="department:")


def _override(merge_into: str | None, decided_on: str = "2026-01-05") -> str:
    lines = (
        "  disposition_override:\n"
        "    disposition: 整合\n"
        "    reason: 功能重复\n"
        "    decided_by: 迁移组\n"
        f"    decided_on: {decided_on}\n"
    )
    return lines + (f"    merge_into: {merge_into}\n" if merge_into else "")


def _merge_into_unknown(c: Copy) -> int:
    c.insert_after(FGW, FGW_001, _override("FGW-999"))
    return c.line(FGW, "    merge_into:", after=FGW_001)


def _merge_without_target(c: Copy) -> int:
    return c.insert_after(FGW, FGW_001, _override(None))


def _decided_in_future(c: Copy) -> int:
    c.insert_after(FGW, FGW_001, _override("FGW-002", decided_on="2999-01-01"))
    return c.line(FGW, "    decided_on:", after=FGW_001)


def _unknown_related(c: Copy) -> int:
    return c.insert_after(FGW, FGW_ENTRY_0, "  related:\n  - 30100000/9999999\n") + 1


def _not_shared_without_basis(c: Copy) -> int:
    c.set_value(FGW, "    type:", "不予共享", after=(FGW_ENTRY_0, "  sharing:\n"))
    return c.line(FGW, "  sharing:", after=FGW_ENTRY_0)


def _conditional_without_conditions(c: Copy) -> int:
    c.delete_line(FGW, "    conditions:", after=FGW_ENTRY_0)
    return c.line(FGW, "  sharing:", after=FGW_ENTRY_0)


def _last_update_before_go_live(c: Copy) -> int:
    c.set_value(FGW, "  go_live:", "2015-06-01", after=FGW_001)
    return c.set_value(FGW, "  last_update:", "2014-01-01", after=FGW_001)


def _renamed_file(c: Copy) -> int:
    (c.root / FGW).rename(c.root / "departments/FGX.yaml")
    return c.line("departments/FGX.yaml", "  code: FGW\n")


def _department_without_zone(c: Copy) -> int:
    text = c.read("network.yaml")
    block = re.search(r"^- code: DZ-FGW\n(?:  .*\n)*?  - \S+\n(?=- )", text, re.MULTILINE)
    assert block is not None
    c.write("network.yaml", text[: block.start()] + text[block.end() :])
    return c.line(FGW, "  code: FGW\n")


def _missing_field(c: Copy) -> int:
    c.delete_line(FGW, "  function:", after=FGW_001)
    return c.line(FGW, FGW_001)


def _repeated_key(c: Copy) -> int:
    c.insert_after(FGW, FGW_001, "  scope: 跨部门\n")
    return c.line(FGW, "  scope: ", after="  function:")


def _classified_with_cloud(c: Copy) -> int:
    c.insert_after(FGW, FGW_001, "  classified: true\n")
    return c.line(FGW, "  cloud:", after=FGW_001)


def _code_disagrees_with_category(c: Copy) -> int:
    c.set_value(FGW, "  category:", "基础信息资源", after=FGW_ENTRY_0)
    return c.line(FGW, FGW_ENTRY_0)


@dataclasses.dataclass(frozen=True)
class Case:
    mutate: Mutation
    file: str
    field: str
    fragment: str
    count: int | None = 1
    """how many problems the edit gives in all (None: it also breaks references elsewhere, count not pinned)"""


CASES = [
    # YAML itself
    pytest.param(
        Case(lambda c: c.set_value(FGW, "  function:", "a: b", after=FGW_001), FGW, "", "YAML syntax"),
        id="yaml-syntax-mapping-in-scalar",
    ),
    pytest.param(
        Case(lambda c: c.replace(FGW, "  scope:", " scope:", after=FGW_001), FGW, "", "YAML syntax"),
        id="yaml-syntax-bad-indentation",
    ),
    pytest.param(
        Case(lambda c: c.set_value(FGW, "  go_live:", "2015-13-45", after=FGW_001), FGW, "", "month must be in 1..12"),
        id="yaml-impossible-date",
    ),
    pytest.param(Case(_repeated_key, FGW, "systems.0.scope", "is repeated (first at line"), id="duplicate-key"),
    # schema: unknown fields, types, enums, required fields
    pytest.param(
        Case(lambda c: c.insert_after(FGW, FGW_001, "  colour: 红\n"), FGW, "systems.0.colour", "unknown field"),
        id="unknown-field-system",
    ),
    pytest.param(
        Case(lambda c: c.insert_after("city.yaml", "name: 临江市\n", "mayor: 张三\n"), "city.yaml", "mayor", "unknown"),
        id="unknown-field-city",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "  monthly_active_users:", "很多", after=FGW_001),
            FGW,
            "systems.0.monthly_active_users",
            "valid integer",
        ),
        id="wrong-type-integer",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "  approval_date:", "去年", after=FGW_001),
            FGW,
            "systems.0.approval_date",
            "valid date",
        ),
        id="wrong-type-date",
    ),
    pytest.param(
        Case(lambda c: c.set_value(FGW, "  mlps_level:", "6", after=FGW_001), FGW, "systems.0.mlps_level", "less than"),
        id="wrong-value-mlps-level",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "  scope:", "全市", after=FGW_001),
            FGW,
            "systems.0.scope",
            "'全市' is not one of",
        ),
        id="wrong-enum-scope",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "    type:", "部分共享", after=(FGW_ENTRY_0, "  sharing:\n")),
            FGW,
            "catalogue.0.sharing.type",
            "'部分共享' is not one of",
        ),
        id="wrong-enum-sharing-type",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value("network.yaml", "  kind:", "内网区", after="- code: PUB\n"),
            "network.yaml",
            "zones.0.kind",
            "'内网区' is not one of",
        ),
        id="wrong-enum-zone-kind",
    ),
    pytest.param(Case(_missing_field, FGW, "systems.0.function", "required field is missing"), id="missing-field"),
    # duplicate codes across files: the later file (in name order) is the one reported
    pytest.param(
        Case(
            lambda c: c.replace(JYJ, "- code: JYJ-001\n", FGW_001), JYJ, "systems.0.code", "duplicate system code", None
        ),
        id="duplicate-system-code",
    ),
    pytest.param(
        Case(_duplicate_catalogue_code, JYJ, "catalogue.0.code", "duplicate catalogue code", None),
        id="duplicate-catalogue-code",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(JYJ, "  code:", "FGW", after="department:"),
            JYJ,
            "department.code",
            "duplicate department code 'FGW'",
            None,
        ),
        id="duplicate-department-code",
    ),
    pytest.param(
        Case(_duplicate_credit_code, JYJ, "department.uscc", "duplicate unified social credit code"),
        id="duplicate-credit-code",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(JYJ, "  name:", "临江市发展和改革委员会", after="department:"),
            JYJ,
            "department.name",
            "duplicate department name '临江市发展和改革委员会': already used by FGW",
        ),
        id="duplicate-department-name",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "    port:", "8443", after=FGW_001),
            FGW,
            "systems.0.ports.0.port",
            "is reserved: the data stage serves shareable entries on share/8443",
        ),
        id="reserved-data-port",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "    port:", "22", after=FGW_001),
            FGW,
            "systems.0.ports.0.port",
            "port 22 is a management port",
        ),
        id="business-flow-on-management-port",
    ),
    # references to unknown records
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "  department:", "XXJ", after=FGW_001),
            FGW,
            "systems.0.department",
            "unknown department 'XXJ'",
            None,  # also: in another department's file, outside its zone, not the provider of its entries
        ),
        id="unknown-department-of-system",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "  provider:", "XXJ", after=FGW_ENTRY_0),
            FGW,
            "catalogue.0.provider",
            "unknown department 'XXJ'",
            None,
        ),
        id="unknown-department-provider",
    ),
    pytest.param(
        Case(
            lambda c: c.insert_after(FGW, "  code: FGW\n", "  parent: XXJ\n"),
            FGW,
            "department.parent",
            "unknown department 'XXJ'",
        ),
        id="unknown-parent-department",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value("network.yaml", "  department:", "XXJ", after="- code: DZ-FGW\n"),
            "network.yaml",
            "zones.2.department",
            "unknown department 'XXJ'",
            None,
        ),
        id="unknown-department-of-zone",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "  - ", "NOPE-001", after=(FGW_001, "  depends_on:\n")),
            FGW,
            "systems.0.depends_on.0",
            "unknown system 'NOPE-001'",
        ),
        id="unknown-system-depends-on",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "  system:", "FGW-999", after=FGW_ENTRY_0),
            FGW,
            "catalogue.0.system",
            "unknown system 'FGW-999'",
        ),
        id="unknown-system-of-entry",
    ),
    pytest.param(
        Case(_merge_into_unknown, FGW, "systems.0.disposition_override.merge_into", "unknown system 'FGW-999'"),
        id="unknown-system-merge-into",
    ),
    pytest.param(
        Case(_merge_without_target, FGW, "systems.0.disposition_override.merge_into", "整合 needs the system"),
        id="merge-without-target",
    ),
    pytest.param(
        Case(
            lambda c: c.insert_after("hosts.yaml", "- name: fw-core-01\n", "  systems:\n  - NOPE-001\n") + 1,
            "hosts.yaml",
            "hosts.0.systems.0",
            "unknown system 'NOPE-001'",
        ),
        id="unknown-system-of-host",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "  - ", "39999999/9999999", after=(FGW_001, "  consumes:\n")),
            FGW,
            "systems.0.consumes.0",
            "unknown catalogue entry '39999999/9999999'",
        ),
        id="unknown-entry-consumes",
    ),
    pytest.param(
        Case(_unknown_related, FGW, "catalogue.0.related.0", "unknown catalogue entry '30100000/9999999'"),
        id="unknown-entry-related",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "    zone:", "DZ-NOPE", after=FGW_001),
            FGW,
            "systems.0.cloud.zone",
            "unknown zone 'DZ-NOPE'",
        ),
        id="unknown-zone-cloud",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value("hosts.yaml", "  zone:", "NOPE", after="- name: k8s-cp-01\n"),
            "hosts.yaml",
            "hosts.1.zone",
            "unknown zone 'NOPE'",
        ),
        id="unknown-zone-host",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value("hosts.yaml", "  - zone:", "NOPE", after="- name: k8s-cp-01\n"),
            "hosts.yaml",
            "hosts.1.addresses.0.zone",
            "unknown zone 'NOPE'",
        ),
        id="unknown-zone-host-address",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value("network.yaml", "    zone:", "NOPE", after="  exchange:\n"),
            "network.yaml",
            "platform.exchange.zone",
            "unknown zone 'NOPE'",
        ),
        id="unknown-zone-platform",
    ),
    # sharing rules
    pytest.param(
        Case(_not_shared_without_basis, FGW, "catalogue.0.sharing.legal_basis", "不予共享 must cite its basis"),
        id="not-shared-without-legal-basis",
    ),
    pytest.param(
        Case(_conditional_without_conditions, FGW, "catalogue.0.sharing.conditions", "有条件共享 must state"),
        id="conditional-without-conditions",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "    conditions:", "无条件", after=FGW_ENTRY_0),
            FGW,
            "catalogue.0.sharing.conditions",
            "有条件共享 must state",
        ),
        id="conditional-whose-condition-is-none",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "    conditions:", "仅限本部门", after=FGW_ENTRY_1),
            FGW,
            "catalogue.1.sharing.conditions",
            "condition must read 无条件",
        ),
        id="unconditional-with-a-condition",
    ),
    # resource codes
    pytest.param(
        Case(
            lambda c: c.replace(FGW, FGW_ENTRY_0, "- code: 30100000-0000001\n"),
            FGW,
            "catalogue.0.code",
            "must be classification digits",
            None,
        ),
        id="resource-code-without-slash",
    ),
    pytest.param(
        Case(
            lambda c: c.replace(FGW, FGW_ENTRY_0, "- code: 30100/0000001\n"),
            FGW,
            "catalogue.0.code",
            "must be classification digits",
            None,
        ),
        id="resource-code-too-few-classification-digits",
    ),
    pytest.param(
        Case(
            _code_disagrees_with_category,
            FGW,
            "catalogue.0.code",
            "a 基础信息资源 code starts with 1",
        ),
        id="resource-code-disagrees-with-category",
    ),
    # credit codes
    pytest.param(
        Case(_wrong_final_check_char, FGW, "department.uscc", "check character (GB 32100)"),
        id="credit-code-gb32100-check",
    ),
    pytest.param(
        Case(_wrong_org_check_char, FGW, "department.uscc", "organisation code check character (GB 11714)"),
        id="credit-code-gb11714-check",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "  uscc:", "'11330100700000378'", after="department:"),
            FGW,
            "department.uscc",
            "must be 18 characters",
        ),
        id="credit-code-length",
    ),
    # classified systems, dates
    pytest.param(
        Case(
            _classified_with_cloud,
            FGW,
            "systems.0.cloud",
            "must not carry any cloud placement",
            4,  # also: it is on the Internet, and its call and consumed entry cross to the extranet
        ),
        id="classified-with-cloud",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "  approval_date:", "2999-01-01", after=FGW_001),
            FGW,
            "systems.0.approval_date",
            "in the future",
            2,  # also: go-live before approval
        ),
        id="future-approval-date",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "  last_update:", "2999-01-01", after=FGW_001),
            FGW,
            "systems.0.last_update",
            "in the future",
        ),
        id="future-last-update",
    ),
    pytest.param(
        Case(
            lambda c: c.set_value(FGW, "  publish_date:", "2999-01-01", after=FGW_ENTRY_0),
            FGW,
            "catalogue.0.publish_date",
            "in the future",
        ),
        id="future-publish-date",
    ),
    pytest.param(
        Case(_decided_in_future, FGW, "systems.0.disposition_override.decided_on", "in the future"),
        id="future-decision",
    ),
    pytest.param(
        Case(_last_update_before_go_live, FGW, "systems.0.last_update", "before go-live"),
        id="last-update-before-go-live",
    ),
    # layout
    pytest.param(
        Case(_renamed_file, "departments/FGX.yaml", "department.code", "file is named FGX.yaml"),
        id="file-named-differently",
    ),
    pytest.param(
        Case(_department_without_zone, FGW, "department.code", "has no 专用网络区", None),
        id="department-without-dedicated-zone",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_broken_copy_reports_file_line_and_field(inventory_copy: Path, case: Case) -> None:
    copy = Copy(inventory_copy)
    line = case.mutate(copy)
    problems = _problems(inventory_copy)
    rendered = "\n".join(p.render() for p in problems)
    matching = [p for p in problems if case.fragment in p.message]
    assert matching, f"no problem says {case.fragment!r}:\n{rendered}"
    assert (str(inventory_copy / case.file), line, case.field) in {(p.path, p.line, p.field) for p in matching}, (
        rendered
    )
    if case.count is not None:
        assert len(problems) == case.count, rendered


# ---------------------------------------------------------------------------------------------------------
# Reports about whole files


def test_a_missing_required_file_is_named(inventory_copy: Path) -> None:
    (inventory_copy / "city.yaml").unlink()
    problems = _problems(inventory_copy)
    assert [(p.path, p.line, p.message) for p in problems] == [
        (str(inventory_copy / "city.yaml"), None, "file is missing")
    ]


def test_a_file_that_is_not_utf8_is_named(inventory_copy: Path) -> None:
    (inventory_copy / FGW).write_bytes("department:\n  name: 发展改革委\n".encode("gbk"))
    problems = _problems(inventory_copy)
    assert [(p.path, p.line) for p in problems] == [(str(inventory_copy / FGW), None)]
    assert "not UTF-8" in problems[0].message


def test_a_file_that_is_a_list_is_named(inventory_copy: Path) -> None:
    (inventory_copy / FGW).write_text("- a\n- b\n", encoding="utf-8")
    problems = _problems(inventory_copy)
    assert [(p.path, p.line) for p in problems] == [(str(inventory_copy / FGW), 1)]
    assert "expected a mapping at the top of the file, got list" in problems[0].message


def test_an_empty_census_loads_so_a_city_can_import_its_first_forms(inventory_copy: Path) -> None:
    for path in (inventory_copy / "departments").glob("*.yaml"):
        path.unlink()
    (inventory_copy / "hosts.yaml").unlink()
    network = yaml.safe_load((inventory_copy / "network.yaml").read_text(encoding="utf-8"))
    network["zones"] = [z for z in network["zones"] if z["kind"] != "专用网络区"]
    network["intranet"]["zones"] = [z for z in network["intranet"]["zones"] if z["kind"] != "专用网络区"]
    (inventory_copy / "network.yaml").write_text(yaml.safe_dump(network, allow_unicode=True), encoding="utf-8")
    loaded = inventory_files.load_inventory(inventory_copy)
    assert (len(loaded.inventory.departments), len(loaded.inventory.systems)) == (0, 0)


def test_department_files_without_their_zones_are_reported_per_department(inventory_copy: Path) -> None:
    for path in (inventory_copy / "departments").glob("*.yaml"):
        path.unlink()
    messages = {p.message for p in _problems(inventory_copy)}
    assert "unknown department 'FGW'" in messages


def test_a_missing_inventory_directory_is_one_clear_error(tmp_path: Path) -> None:
    problems = _problems(tmp_path / "nowhere")
    assert [(p.path, p.message) for p in problems] == [
        (str(tmp_path / "nowhere"), "inventory directory does not exist")
    ]


# ---------------------------------------------------------------------------------------------------------
# One bad record does not bury its own error under errors about everything that names it


def test_an_unreadable_system_is_not_reported_again_as_unknown(inventory_copy: Path) -> None:
    copy = Copy(inventory_copy)
    # ZWJ-005 is called by systems of other departments; break it so it cannot be read.
    assert "  - ZWJ-005\n" in copy.read(FGW)
    line = copy.set_value("departments/ZWJ.yaml", "  scope:", "全市", after="- code: ZWJ-005\n")
    problems = _problems(inventory_copy)
    assert [(p.path, p.line, p.field) for p in problems] == [
        (str(inventory_copy / "departments/ZWJ.yaml"), line, "systems.4.scope")
    ]


def test_a_file_that_is_not_yaml_does_not_cascade(inventory_copy: Path) -> None:
    copy = Copy(inventory_copy)
    line = copy.set_value("departments/ZWJ.yaml", "  function:", "a: b", after="- code: ZWJ-005\n")
    problems = _problems(inventory_copy)
    assert [(p.path, p.line) for p in problems] == [(str(inventory_copy / "departments/ZWJ.yaml"), line)]


def test_good_records_of_a_broken_file_are_still_checked(inventory_copy: Path) -> None:
    copy = Copy(inventory_copy)
    bad = copy.set_value(FGW, "  scope:", "全市", after=FGW_001)
    future = copy.set_value(FGW, "  last_update:", "2999-01-01", after="- code: FGW-002\n")
    problems = _problems(inventory_copy)
    assert [(p.line, p.field) for p in problems] == [(bad, "systems.0.scope"), (future, "systems.1.last_update")]


# ---------------------------------------------------------------------------------------------------------
# The command line


def _run_check(inventory: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES"}}
    return subprocess.run(
        [str(GOVCLOUD), "check", "--inventory", str(inventory)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=120,
    )


def test_check_passes_on_the_bundled_inventory(bundled_inventory: Path) -> None:
    result = _run_check(bundled_inventory)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: {bundled_inventory}: 45 departments, 328 systems, 1600 catalogue entries")
    # only the day's data-sharing warnings (consumption before the data stage), never an error
    assert all(line.startswith("warning: ") for line in result.stderr.splitlines()), result.stderr


def test_check_summary_is_one_line(bundled_inventory: Path) -> None:
    result = _run_check(bundled_inventory)
    assert len(result.stdout.splitlines()) == 1, result.stdout


SEVERAL = [
    (FGW, lambda c: c.set_value(FGW, "  scope:", "全市", after=FGW_001)),
    (FGW, lambda c: c.set_value(FGW, "    conditions:", "仅限本部门", after=FGW_ENTRY_1)),
    (JYJ, lambda c: c.insert_after(JYJ, "- code: JYJ-001\n", "  colour: 红\n")),
    (
        "departments/ZWJ.yaml",
        lambda c: c.set_value("departments/ZWJ.yaml", "  last_update:", "2999-01-01", after="- code: ZWJ-002\n"),
    ),
    ("hosts.yaml", lambda c: c.set_value("hosts.yaml", "  zone:", "NOPE", after="- name: k8s-cp-01\n")),
    ("city.yaml", lambda c: c.insert_after("city.yaml", "name: 临江市\n", "mayor: 张三\n")),
    (
        "departments/CGJ.yaml",
        lambda c: c.set_value("departments/CGJ.yaml", "  function:", "a: b", after="- code: CGJ-001\n"),
    ),
]


def test_check_reports_every_problem_of_every_file_sorted_and_exits_1(inventory_copy: Path) -> None:
    copy = Copy(inventory_copy)
    expected = sorted((str(inventory_copy / rel), mutate(copy)) for rel, mutate in SEVERAL)
    result = _run_check(inventory_copy)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    *problem_lines, summary = result.stderr.strip().splitlines()
    assert summary == f"the inventory has problems: {len(SEVERAL)} problem(s)"
    places = []
    for text in problem_lines:
        match = re.match(r"^(.*?):(\d+): ", text)
        assert match is not None, text
        places.append((match.group(1), int(match.group(2))))
    assert places == expected


def test_check_on_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = _run_check(tmp_path / "nowhere")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.splitlines()[0] == f"{tmp_path / 'nowhere'}: inventory directory does not exist"


def test_future_is_relative_to_today(inventory_copy: Path) -> None:
    copy = Copy(inventory_copy)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    copy.set_value(FGW, "  last_update:", tomorrow.isoformat(), after=FGW_001)
    with pytest.raises(InputError):
        inventory_files.load_inventory(inventory_copy)
    assert inventory_files.load_inventory(inventory_copy, today=tomorrow).inventory.system_by_code["FGW-001"]


# ---------------------------------------------------------------------------------------------------------
# Reading YAML: what PyYAML alone would let through or crash on


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a: 1\nb: 2\na: 3\n", [(("a",), 3, 1)], id="top-level"),
        pytest.param("s:\n- code: X\n  name: n\n  code: Y\n", [(("s", 0, "code"), 4, 2)], id="inside-a-list-item"),
        pytest.param("1: a\n0x1: b\n", [((1,), 2, 1)], id="equal-after-construction"),
        pytest.param("b: &b {x: 1}\nd:\n  <<: *b\n  x: 2\n", [], id="merge-key-override-is-allowed"),
        pytest.param("b: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n  y: 3\n", [(("d", "y"), 5, 4)], id="merge-own-repeat"),
        pytest.param("a: 1\nb: 2\n", [], id="none"),
    ],
)
def test_repeated_keys_are_found_with_path_and_lines(text: str, expected: list[tuple[object, int, int]]) -> None:
    _, duplicates = yamlio.read_document(text)
    assert [(d.path, d.line, d.first_line) for d in duplicates] == expected


def test_read_fast_refuses_a_repeated_key() -> None:
    with pytest.raises(yamlio.YamlSyntaxError) as raised:
        yamlio.read_fast("a: 1\nb:\n  c: 2\n  c: 3\n")
    assert raised.value.line == 4
    assert "duplicate key 'c' (first at line 3)" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        pytest.param("a: 1\nb: 2015-13-45\n", 2, "month must be in 1..12", id="impossible-date"),
        pytest.param("a: 1\n\nb: !!int abc\n", 3, "as int", id="bad-int-tag"),
        pytest.param("a: !!float x\n", 1, "as float", id="bad-float-tag"),
        pytest.param("a: !!bool maybe\n", 1, "as bool", id="bad-bool-tag"),
        pytest.param("a: !!timestamp soon\n", 1, "as timestamp", id="bad-timestamp-tag"),
        pytest.param("a:\n  ? [1]\n  : 2\n", 2, "unhashable key", id="unhashable-key"),
        pytest.param("a: !!python/object:os.system x\n", 1, "could not determine a constructor", id="unsafe-tag"),
        pytest.param("[", 1, "YAML syntax", id="unclosed-at-end-of-text"),
    ],
)
def test_values_that_cannot_be_built_are_syntax_errors_with_a_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(yamlio.YamlSyntaxError) as raised:
        yamlio.read_document(text)
    assert raised.value.line == line
    assert fragment in str(raised.value)


def test_reading_gives_the_same_data_as_pyyaml(bundled_inventory: Path) -> None:
    for path in [bundled_inventory / "network.yaml", bundled_inventory / FGW]:
        text = path.read_text(encoding="utf-8")
        assert yamlio.read_fast(text) == yaml.safe_load(text)
