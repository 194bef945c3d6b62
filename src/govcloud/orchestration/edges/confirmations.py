"""A lead's confirmations of 下线/整合 proposals, read from the migration ledger for the assessment. Edge.

The assessment proposes; a proposal takes effect once the department's lead confirms it with a signed
``disposition.confirm`` entry (``govcloud ledger confirm``). ``assess``, ``plan``, ``run`` and ``report`` read
them here, so a confirmation recorded in the ledger is in effect everywhere at once.
"""

from __future__ import annotations

from pathlib import Path

from govcloud.assessment.core import assessment
from govcloud.orchestration.core import transitions
from govcloud.orchestration.core.entries import EntryKind
from govcloud.orchestration.edges import store


def read_confirmations(ledger_path: Path) -> dict[str, assessment.Confirmation]:
    """System code → the latest confirmation the ledger holds; none without a ledger file (nothing is created)."""
    if not ledger_path.exists():
        return {}
    with store.open_ledger(ledger_path, create=False) as ledger:
        entries = ledger.entries(kinds=[EntryKind.DISPOSITION_CONFIRM])
        return transitions.assessment_confirmations(transitions.confirmed_dispositions(entries))
