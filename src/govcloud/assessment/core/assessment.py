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


CRITERION_SIGNAL: Mapping[ZombieCriterion, str] = {
    ZombieCriterion.DETACHED: "usage",
    ZombieCriterion.SMALL_SCOPE: "usage",
    ZombieCriterion.IDLE: "resources",
    ZombieCriterion.UNMAINTAINED: "maintenance",
    ZombieCriterion.REPLACEABLE: "function",
}
"""The evidence each criterion rests on: two criteria on the same evidence (users and frequency) are not independent."""


@dataclasses.dataclass(frozen=True)
class ZombieFinding:
    criterion: ZombieCriterion
    evidence: str


class ZombieVerdict(enum.StrEnum):
    """What the zombie findings of a system add up to, once weighed against its counter-signals."""

    RETIRE = "下线"  # proposed: enough evidence, nothing against it
    REVIEW = "复核"  # a lead must look: counter-signals, or too little evidence; never retired on its own


@dataclasses.dataclass(frozen=True)
class ZombieWeighing:
    """The reasons on both sides of a zombie candidate and the verdict they give."""

    verdict: ZombieVerdict
    for_retiring: tuple[str, ...]
    """Each criterion met, with its evidence."""
    against: tuple[str, ...]
    """Each counter-signal found (live public use, many users, a recent update, dependents)."""
    why: str


@dataclasses.dataclass(frozen=True)
class Proposal:
    """A 下线 or 整合 the assessment proposes (提议); it takes effect only once a lead confirms it."""

    disposition: model.Disposition
    reasons: tuple[str, ...]
    merge_into: str | None = None

    def describe(self) -> str:
        return str(self.disposition) + (f" → {self.merge_into}" if self.merge_into else "")


@dataclasses.dataclass(frozen=True)
class Confirmation:
    """A lead's confirmation of a proposal, for example a signed ``disposition.confirm`` entry of the ledger.

    The caller passes these in (system code → confirmation); the assessment applies one only while it matches
    the current proposal (same disposition and, for 整合, the same target), so a confirmation never carries
    over to a proposal the lead has not seen.
    """

    disposition: model.Disposition
    confirmed_by: str
    confirmed_on: dt.date
    merge_into: str | None = None
    source: str = "ledger"
    reference: str | None = None
    """Where the confirmation is recorded (a ledger entry's id or hash), for the reasons."""

    def matches(self, proposal: Proposal) -> bool:
        return self.disposition is proposal.disposition and (
            proposal.disposition is not model.Disposition.MERGE or self.merge_into == proposal.merge_into
        )


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
    proposal: Proposal | None = None
    """A 下线 or 整合 the assessment proposes; ``disposition`` is the proposal's only once it is confirmed."""
    confirmation: Confirmation | None = None
    """The lead's confirmation that put the proposal into effect (None for overrides and proposals)."""

    @property
    def overridden(self) -> bool:
        return self.override is not None

    @property
    def proposed(self) -> bool:
        """A proposal awaiting confirmation (提议): plans keep the system as ``disposition`` says meanwhile."""
        return self.proposal is not None and self.confirmation is None and self.override is None

    @property
    def confirmed(self) -> bool:
        return self.proposal is not None and self.confirmation is not None


@dataclasses.dataclass(frozen=True)
class SystemAssessment:
    code: str
    zombie: tuple[ZombieFinding, ...]
    duplicates: tuple[DuplicateFinding, ...]
    blockers: tuple[Blocker, ...]
    decision: Decision
    weighing: ZombieWeighing | None = None
    """How the zombie findings were weighed (None without a finding on the system's own fields)."""

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


@dataclasses.dataclass(frozen=True)
class AssessmentCounts:
    """The assessment's numbers, in one vocabulary: systems, findings and pairs.

    *Systems* are each counted once, *findings* are one per criterion or blocker a system meets (a system may
    have several), *pairs* are two systems found alike, counted once. ``assess``, ``run`` and the report all
    read these, so they say the same words and the same numbers.
    """

    systems: int
    dispositions: Mapping[model.Disposition, int]
    """Systems per disposition in effect (what the plans act on), every disposition present, in enum order."""
    overrides: Mapping[model.Disposition, int]
    """Of those, systems whose disposition is a lead's override."""
    proposed: Mapping[model.Disposition, int]
    """Systems with an unconfirmed 下线 or 整合 proposal (提议), by the disposition proposed."""
    confirmed: Mapping[model.Disposition, int]
    """Systems whose proposal a lead confirmed (now in effect), by disposition."""
    zombie_systems: int
    """Zombie candidates: systems with at least one zombie finding."""
    zombie_findings: int
    """Zombie findings: one per criterion a system meets."""
    zombie_retire: int
    """Candidates whose findings, weighed, propose 下线."""
    zombie_review: int
    """Candidates sent to review (复核): counter-signals or too little evidence."""
    zombie_replaceable: int
    """Candidates whose function a duplicate covers (proposed 整合); with the two above, every candidate."""
    duplicate_pairs: int
    duplicate_pairs_within: int
    """Pairs inside one department (部门内部整合 candidates)."""
    duplicate_systems: int
    """Systems in at least one duplicate pair."""
    not_ready_systems: int
    blocker_findings: int

    def summary(self) -> str:
        """One line for a terminal: systems, findings and pairs, each named as what it counts."""
        return (
            f"{self.zombie_systems} zombie candidates ({self.zombie_findings} findings: "
            f"{self.zombie_retire} proposed 下线, {self.zombie_review} to review 复核, "
            f"{self.zombie_replaceable} replaceable), "
            f"{self.duplicate_pairs} duplicate pairs among {self.duplicate_systems} systems "
            f"({self.duplicate_pairs_within} within a department), "
            f"{self.not_ready_systems} systems not cloud-ready"
        )

    def proposals_summary(self) -> str:
        proposed = ", ".join(f"{d} {n}" for d, n in self.proposed.items() if n) or "none"
        confirmed = ", ".join(f"{d} {n}" for d, n in self.confirmed.items() if n) or "none"
        return f"proposals awaiting confirmation (提议): {proposed}; confirmed: {confirmed}"

    def rows(self) -> list[tuple[str, int, str]]:
        """(figure, number, what it counts) for tables and reports."""
        return [
            ("systems assessed", self.systems, "systems"),
            ("zombie candidates", self.zombie_systems, "systems with at least one zombie finding"),
            ("zombie findings", self.zombie_findings, "findings: one per criterion a system meets"),
            ("proposed 下线", self.zombie_retire, "systems: enough evidence, no counter-signal"),
            ("to review 复核", self.zombie_review, "systems: counter-signals or too little evidence"),
            ("replaceable", self.zombie_replaceable, "systems whose function a duplicate covers (整合)"),
            ("duplicate pairs", self.duplicate_pairs, "pairs of systems, each pair once"),
            ("duplicate pairs within a department", self.duplicate_pairs_within, "pairs (部门内部整合 candidates)"),
            ("systems in duplicate pairs", self.duplicate_systems, "systems"),
            ("not cloud-ready", self.not_ready_systems, "systems with at least one blocker"),
            ("proposals awaiting confirmation", sum(self.proposed.values()), "systems (提议: 下线 or 整合)"),
        ]


def count_assessment(assessment: Assessment) -> AssessmentCounts:
    """Every count of the assessment, once. Pure."""
    items = list(assessment.systems.values())
    dispositions = dict.fromkeys(model.Disposition, 0)
    overrides = dict.fromkeys(model.Disposition, 0)
    proposed = dict.fromkeys(model.Disposition, 0)
    confirmed = dict.fromkeys(model.Disposition, 0)
    for item in items:
        decision = item.decision
        dispositions[decision.disposition] += 1
        overrides[decision.disposition] += decision.overridden
        if decision.proposed and decision.proposal is not None:
            proposed[decision.proposal.disposition] += 1
        if decision.confirmed:
            confirmed[decision.disposition] += 1
    in_pairs = {code for pair in assessment.duplicate_pairs for code in (pair.a, pair.b)}
    return AssessmentCounts(
        systems=len(items),
        dispositions=dispositions,
        overrides=overrides,
        proposed=proposed,
        confirmed=confirmed,
        zombie_systems=sum(1 for item in items if item.zombie),
        zombie_findings=sum(len(item.zombie) for item in items),
        zombie_retire=sum(1 for i in items if i.weighing is not None and i.weighing.verdict is ZombieVerdict.RETIRE),
        zombie_review=sum(1 for i in items if i.weighing is not None and i.weighing.verdict is ZombieVerdict.REVIEW),
        zombie_replaceable=sum(1 for i in items if any(f.criterion is ZombieCriterion.REPLACEABLE for f in i.zombie)),
        duplicate_pairs=len(assessment.duplicate_pairs),
        duplicate_pairs_within=sum(1 for pair in assessment.duplicate_pairs if pair.within_department),
        duplicate_systems=len(in_pairs),
        not_ready_systems=sum(1 for item in items if item.blockers),
        blocker_findings=sum(len(item.blockers) for item in items),
    )
