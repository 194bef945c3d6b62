"""What the assessment decides about each system, and why. Pure (types only; the rules live beside).

``assess_inventory`` (in :mod:`govcloud.assessment.core.assess`) fills these; planning, reports and the CLI read them.
Every decision carries its evidence as text a migration lead can check against the census.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping

from govcloud.core import model


class ZombieCriterion(enum.StrEnum):
    """The programme's five zombie criteria (国办发〔2017〕39号)."""

    DETACHED = "detached"  # use long detached from real business
    REPLACEABLE = "replaceable"  # another system can replace its function
    IDLE = "idle"  # resources idle for a long time
    UNMAINTAINED = "unmaintained"  # maintenance and updates have stopped
    SMALL_SCOPE = "small_scope"  # small scope, low frequency


class ReadinessBlocker(enum.StrEnum):
    """Why a system cannot move to the shared cloud as it is."""

    CLASSIFIED = "classified"
    MLPS_ABOVE_CLOUD = "mlps_above_cloud"
    PLATFORM = "platform"  # mainframe, minicomputer, or cannot be virtualised
    SPECIAL_HARDWARE = "special_hardware"
    LICENCE = "licence"
    VENDOR = "vendor"  # vendor gone or support ended


@dataclasses.dataclass(frozen=True)
class ZombieFinding:
    criterion: ZombieCriterion
    evidence: str


@dataclasses.dataclass(frozen=True)
class DuplicateFinding:
    other: str
    score: float
    overlapping_terms: tuple[str, ...]
    within_department: bool


@dataclasses.dataclass(frozen=True)
class Blocker:
    reason: ReadinessBlocker
    evidence: str


@dataclasses.dataclass(frozen=True)
class Decision:
    """The disposition of one system, with its reasons; ``override`` is set when a lead's decision won."""

    disposition: model.Disposition
    reasons: tuple[str, ...]
    merge_into: str | None = None
    override: model.DispositionOverride | None = None

    @property
    def overridden(self) -> bool:
        return self.override is not None


@dataclasses.dataclass(frozen=True)
class SystemAssessment:
    code: str
    zombie: tuple[ZombieFinding, ...]
    duplicates: tuple[DuplicateFinding, ...]
    blockers: tuple[Blocker, ...]
    decision: Decision

    @property
    def cloud_ready(self) -> bool:
        return not self.blockers


@dataclasses.dataclass(frozen=True)
class DuplicatePair:
    """Two systems found alike, once per pair (``a`` sorts before ``b``).

    Each pair also appears in both systems' ``duplicates``.
    """

    a: str
    b: str
    score: float
    overlapping_terms: tuple[str, ...]
    within_department: bool


@dataclasses.dataclass(frozen=True)
class Assessment:
    systems: Mapping[str, SystemAssessment]
    reference_date: dt.date | None = None
    """The date "months without update" is counted to (the census date unless another was given)."""
    duplicate_pairs: tuple[DuplicatePair, ...] = ()
    """Every duplicate pair once, highest score first."""

    def decision(self, code: str) -> Decision:
        return self.systems[code].decision

    def counts(self) -> dict[model.Disposition, int]:
        """Systems per disposition (every disposition present, in the enum's order)."""
        counts = dict.fromkeys(model.Disposition, 0)
        for item in self.systems.values():
            counts[item.decision.disposition] += 1
        return counts
