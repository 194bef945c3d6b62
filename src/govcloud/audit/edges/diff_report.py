"""An audit rendered: a rich table that wraps, Markdown for a review comment, JSON for machines. Edge.

Codes are what an auditor looks for, so the table never truncates: every column folds (``overflow="fold"``)
and the commit is a column of its own. The Markdown puts the high-risk changes first under a summary line,
then the commits of the range with their signature status, so it reads as a pull-request comment.
"""

from __future__ import annotations

import json

import rich.console
import rich.table
import rich.text

from govcloud.audit.core import diff
from govcloud.audit.core.attribution import Attributed
from govcloud.audit.edges.history import Audit

_COLOUR = {diff.Risk.HIGH: "red", diff.Risk.MEDIUM: "yellow", diff.Risk.LOW: "dim"}


def label_of(audit: Audit) -> str:
    return f"{audit.base}..{audit.target or 'working tree'}"


def counts(changes: list[Attributed]) -> dict[diff.Risk, int]:
    return {risk: sum(1 for a in changes if a.change.risk is risk) for risk in diff.Risk}


def summary(audit: Audit, changes: list[Attributed]) -> str:
    found = counts(changes)
    ledger = f"; plan statuses checked against the ledger {audit.ledger}" if audit.ledger else "; no ledger checked"
    return (
        f"{len(changes)} change(s) in {len(audit.commits)} commit(s): {found[diff.Risk.HIGH]} high, "
        f"{found[diff.Risk.MEDIUM]} medium, {found[diff.Risk.LOW]} low{ledger}"
    )


def _what(a: Attributed) -> str:
    c = a.change
    return c.field if c.kind is diff.ChangeKind.CHANGED else c.kind.value


def render_table(audit: Audit, changes: list[Attributed]) -> list[rich.console.RenderableType]:
    """A headline and, if anything changed, one table; every cell folds rather than being cut."""
    head = rich.text.Text(f"{label_of(audit)}: {summary(audit, changes)}", style="bold")
    if not changes:
        return [head]
    table = rich.table.Table(show_lines=True, expand=True)
    table.add_column("risk", no_wrap=True, width=6)
    table.add_column("record key", overflow="fold", ratio=2)
    table.add_column("change", overflow="fold", ratio=2)
    table.add_column("old → new", overflow="fold", ratio=2)
    table.add_column("why", overflow="fold", ratio=4)
    table.add_column("commit", overflow="fold", ratio=2)
    for a in changes:
        c = a.change
        commit = a.commit
        who = f"{commit.short} {commit.author}".strip()
        if commit.hash:
            who += f" {commit.date[:10]} {'signed' if commit.signature in {'G', 'U'} else commit.signature_status}"
        table.add_row(
            rich.text.Text(c.risk.label, style=_COLOUR[c.risk]),
            rich.text.Text(f"{c.record} {c.key}"),
            rich.text.Text(_what(a)),
            rich.text.Text(f"{c.old} → {c.new}"),
            rich.text.Text(c.why),
            rich.text.Text(who),
        )
    return [head, table]


def render_markdown(audit: Audit, changes: list[Attributed]) -> str:
    """A review comment: summary, the changes (highest risk first) with their commit, then the commits."""
    lines = [f"### govcloud diff `{label_of(audit)}`", "", summary(audit, changes) + ".", ""]
    if changes:
        lines += [
            "| risk | record | key | change | old | new | why | commit |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for a in changes:
            c = a.change
            risk = f"**{c.risk.label}**" if c.risk is diff.Risk.HIGH else c.risk.label
            made_by = f"`{a.commit.short}` {a.commit.author}".strip() if a.commit.hash else a.commit.message
            cells = [risk, c.record, f"`{c.key}`", _what(a), c.old, c.new, c.why, made_by]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        lines.append("")
    if audit.commits:
        lines += ["| commit | author | date | signature | message |", "|---|---|---|---|---|"]
        for commit in audit.commits:
            author = f"{commit.author} <{commit.email}>" if commit.email else commit.author
            cells = [f"`{commit.short}`", author, commit.date, commit.signature_status, commit.message]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines).rstrip() + "\n"


def render_json(audit: Audit, changes: list[Attributed]) -> str:
    payload = {
        "base": audit.base,
        "target": audit.target,
        "each_commit": audit.each_commit,
        "ledger": str(audit.ledger) if audit.ledger else None,
        "commits": [c.to_json() for c in audit.commits],
        "changes": [a.to_json() for a in changes],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
