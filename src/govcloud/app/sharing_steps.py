"""The sharing commands' use cases: load what a step needs, apply the core's transition, write the request file.

Application layer (``govcloud share``, ``govcloud catalogue export``). The CLI parses options and prints;
everything between is here. Every step loads the inventory, its settings and the calendar, refuses bad input
naming the request file and field, and writes nothing when refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pydantic

from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import inventory_files, settings_file, yamlio
from govcloud.errors import InputError, Problem
from govcloud.orchestration.core import roster as roster_rules
from govcloud.orchestration.core.entries import Draft, EntryKind, Evidence
from govcloud.orchestration.edges import advance as advancing
from govcloud.sharing.core import consistency, grants, requests
from govcloud.sharing.core.calendar import UnknownCalendarYear, WorkingCalendar
from govcloud.sharing.edges import catalogue_export, official_calendar, request_files, sharing_report


@dataclasses.dataclass(frozen=True)
class LedgerSigning:
    """Where the sharing steps are recorded (the migration ledger), with whose key, checked against which roster."""

    path: Path
    key: Path
    roster: roster_rules.Roster


@dataclasses.dataclass(frozen=True)
class SharingContext:
    """What every sharing step reads: the inventory, its settings, the calendar and the requests.

    With ``ledger``, every step is also a signed ledger entry, written before the request file.
    """

    root: Path
    inventory: model.Inventory
    settings: Settings
    calendar: WorkingCalendar
    requests: tuple[requests.SharingRequest, ...]
    ledger: LedgerSigning | None = None


def load_context(
    root: Path,
    *,
    loaded: inventory_files.LoadedInventory | None = None,
    with_requests: bool = True,
    ledger: LedgerSigning | None = None,
) -> SharingContext:
    inventory = (loaded or inventory_files.load_inventory(root)).inventory
    settings = settings_file.load_settings(root)
    found = request_files.load_requests(root).requests if with_requests else ()
    calendar = official_calendar.working_calendar(settings.sharing)
    return SharingContext(root, inventory, settings, calendar, found, ledger)


def _recorder(
    context: SharingContext,
    kind: EntryKind,
    *,
    on: dt.date,
    details: Mapping[str, Any] | None = None,
    by_provider: bool = True,
) -> request_files.BeforeWrite | None:
    """The ledger entry of one step (None without a ledger): signed, its signer's role checked, appended.

    ``department`` is the department whose head signs: the provider's (``by_provider``) or the requester's; a
    dispute is signed by either party, whichever the signer heads. The request file's new text is the
    entry's evidence by its SHA-256, so ``ledger verify`` and the file can be compared.
    """
    signing = context.ledger
    if signing is None:
        return None

    def record(before: requests.SharingRequest | None, after: requests.SharingRequest, text: str) -> None:
        entry = context.inventory.entry_by_code.get(after.resource)
        provider = entry.provider if entry is not None else None
        department = provider if by_provider else after.requester
        if kind is EntryKind.SHARE_DISPUTE:
            department = _party_of_signer(context, signing, after.requester, provider)
        payload: dict[str, Any] = {
            "request": after.id,
            "resource": after.resource,
            "requester": after.requester,
            "provider": provider,
            "from": before.state.value if before is not None else None,
            "to": after.state.value,
            "on": on.isoformat(),
            **(details or {}),
        }
        relative = (request_files.REQUESTS_DIR / f"{after.id}.yaml").as_posix()
        draft = Draft(
            kind=kind,
            actor=None,
            system=after.consumer,
            department=department,
            payload=payload,
            evidence=(Evidence(relative, hashlib.sha256(text.encode("utf-8")).hexdigest()),),
        )
        advancing.record(
            ledger_path=signing.path,
            draft=draft,
            key=signing.key,
            roster=signing.roster,
            settings=context.settings.orchestration,
        )

    return record


def _party_of_signer(context: SharingContext, signing: LedgerSigning, requester: str, provider: str | None) -> str:
    """The party of a dispute whose head the signer is (the requester when the signer heads neither: refused)."""
    person = signing.roster.by_fingerprint.get(advancing.KeySigner.of(signing.key).fingerprint)
    role = roster_rules.Role(context.settings.orchestration.share_approval_role)
    today = dt.datetime.now(dt.UTC).date()
    heads_provider = person is not None and provider is not None and person.holds(role, provider, today)
    if heads_provider and person is not None and not person.holds(role, requester, today):
        return provider or requester
    return requester


def _deadline(path: Path, field: str, compute: Callable[[], dt.date]) -> dt.date:
    """A deadline, or the calendar's refusal as a problem naming the request file and the field whose date needs it."""
    try:
        return compute()
    except UnknownCalendarYear as exc:
        raise InputError([Problem(str(path), None, field, str(exc))], "refused") from None


def _require_signer(context: SharingContext, request_id: str, field: str, option: str, named: str) -> None:
    """With a ledger, ``named`` (``--by``, ``--consented-by``) must be the owner of the signing key, by name or id.

    The ledger entry is signed by the key's owner; a request file that names someone else as approver would
    record an approval nobody signed. Refused before anything is written.
    """
    signing = context.ledger
    if signing is None:
        return
    path = request_files.request_path(context.root, request_id)
    person = signing.roster.by_fingerprint.get(advancing.KeySigner.of(signing.key).fingerprint)
    if person is None:
        message = f"the signing key {signing.key} belongs to nobody in the roster, so nobody can approve as {named!r}"
        raise InputError([Problem(str(path), None, field, message)], "refused")
    if named.strip() not in {person.name, person.id}:
        message = (
            f"{option} names {named!r}, but the signing key is {person.name}'s ({person.id}): "
            f"the approval is recorded as signed by its owner, so {option} must name {person.name!r}"
        )
        raise InputError([Problem(str(path), None, field, message)], "refused")


def _entry_of(context: SharingContext, request_id: str) -> model.CatalogueEntry:
    request = next((r for r in context.requests if r.id == request_id), None)
    path = request_files.request_path(context.root, request_id)
    if request is None:
        raise InputError([Problem(str(path), None, "id", f"no request {request_id}")], "refused")
    entry = context.inventory.entry_by_code.get(request.resource)
    if entry is None:
        raise InputError([Problem(str(path), None, "resource", f"no catalogue entry {request.resource}")], "refused")
    return entry


def submit(
    context: SharingContext,
    *,
    requester: str,
    consumer: str,
    resource: str,
    basis: str,
    scenario: str,
    scope: tuple[str, ...],
    method: requests.DeliveryMethod,
    use_until: dt.date,
    approved_by: str,
    on: dt.date,
    request_id: str | None = None,
) -> tuple[requests.SharingRequest, Path]:
    """Art. 20: file a new request (its id the next free one of the year unless given)."""
    chosen = request_id or request_files.next_request_id(context.root, on)
    _require_signer(context, chosen, "approved_by", "--by", approved_by)
    data = {
        "id": chosen,
        "requester": requester,
        "consumer": consumer,
        "resource": resource,
        "basis": basis,
        "scenario": scenario,
        "scope": scope or (consumer,),
        "method": method,
        "use_until": use_until,
        "approved_by": approved_by,
        "submitted_on": on,
    }
    path = request_files.request_path(context.root, chosen)
    try:
        request = requests.SharingRequest.model_validate(data)
    except pydantic.ValidationError as exc:  # one problem per field (Art. 20: every missing item at once)
        raise InputError(inventory_files.validation_problems(path, "", exc), "refused") from None
    entry = context.inventory.entry_by_code.get(request.resource)
    if entry is not None:  # its answer deadline must be computable: a year nobody declared is refused, not guessed
        _deadline(
            path,
            "submitted_on",
            lambda: requests.answer_due(request, entry.sharing.type, context.settings.sharing, context.calendar),
        )
    record = _recorder(
        context,
        EntryKind.SHARE_REQUEST,
        on=on,
        details={"approved_by": approved_by, "scope": list(request.scope), "use_until": use_until.isoformat()},
        by_provider=False,
    )
    return request, request_files.create_request(context.root, request, context.inventory, before_write=record)


def step(
    context: SharingContext,
    request_id: str,
    change: Callable[[requests.SharingRequest, model.CatalogueEntry], requests.SharingRequest],
    *,
    kind: EntryKind,
    on: dt.date,
    details: Mapping[str, Any] | None = None,
) -> requests.SharingRequest:
    """Apply one transition to a request file (refused: nothing written), recorded first in the ledger if any."""
    entry = _entry_of(context, request_id)
    record = _recorder(context, kind, on=on, details=details)
    return request_files.transition(
        context.root, request_id, lambda request: change(request, entry), before_write=record
    )


def deliver(
    context: SharingContext, request_id: str, *, on: dt.date, method: requests.DeliveryMethod | None
) -> requests.SharingRequest:
    return step(
        context,
        request_id,
        lambda r, _e: requests.deliver(r, on=on, method=method),
        kind=EntryKind.SHARE_DELIVER,
        on=on,
        details={"method": method.value if method else None},
    )


def suspend(context: SharingContext, request_id: str, *, on: dt.date, reason: str) -> requests.SharingRequest:
    return step(
        context,
        request_id,
        lambda r, _e: requests.suspend(r, on=on, reason=reason),
        kind=EntryKind.SHARE_SUSPEND,
        on=on,
        details={"reason": reason},
    )


def resume(context: SharingContext, request_id: str, *, on: dt.date) -> requests.SharingRequest:
    return step(context, request_id, lambda r, _e: requests.resume(r, on=on), kind=EntryKind.SHARE_RESUME, on=on)


def dispute(context: SharingContext, request_id: str, *, on: dt.date, note: str) -> requests.SharingRequest:
    return step(
        context,
        request_id,
        lambda r, _e: requests.dispute(r, on=on, note=note),
        kind=EntryKind.SHARE_DISPUTE,
        on=on,
        details={"note": note},
    )


def answer(
    context: SharingContext,
    request_id: str,
    *,
    granted: bool,
    on: dt.date,
    approved_by: str,
    reasons: str | None,
    conditions: str | None,
) -> requests.SharingRequest:
    _require_signer(context, request_id, "answer.approved_by", "--by", approved_by)
    path = request_files.request_path(context.root, request_id)

    def change(request: requests.SharingRequest, entry: model.CatalogueEntry) -> requests.SharingRequest:
        settings = context.settings.sharing
        _deadline(
            path, "answer.date", lambda: requests.answer_due(request, entry.sharing.type, settings, context.calendar)
        )
        if on.year not in context.calendar.years:  # the answer's day is counted in working days too (the report)
            raise InputError([Problem(str(path), None, "answer.date", str(UnknownCalendarYear(on.year)))], "refused")
        return requests.answer(
            request,
            entry=entry,
            granted=granted,
            on=on,
            approved_by=approved_by,
            reasons=reasons,
            conditions=conditions,
        )

    return step(
        context,
        request_id,
        change,
        kind=EntryKind.SHARE_ANSWER,
        on=on,
        details={"granted": granted, "approved_by": approved_by, "reasons": reasons, "conditions": conditions},
    )


def extend(
    context: SharingContext, request_id: str, *, days: int, on: dt.date, consented_by: str, reason: str
) -> requests.SharingRequest:
    _require_signer(context, request_id, "extension.consented_by", "--consented-by", consented_by)
    return step(
        context,
        request_id,
        lambda request, entry: requests.extend(
            request,
            entry=entry,
            days=days,
            on=on,
            consented_by=consented_by,
            reason=reason,
            settings=context.settings.sharing,
            calendar=context.calendar,
        ),
        kind=EntryKind.SHARE_EXTEND,
        on=on,
        details={"days": days, "consented_by": consented_by, "reason": reason},
    )


@dataclasses.dataclass(frozen=True)
class Late:
    """An answer recorded after its deadline (Art. 21): accepted, warned about, and counted late in the report."""

    due: dt.date
    working_days_late: int


def answer_lateness(context: SharingContext, answered: requests.SharingRequest) -> Late | None:
    """How late ``answered``'s answer was, or None when it was in time."""
    entry = context.inventory.entry_by_code.get(answered.resource)
    if answered.answer is None or entry is None:
        return None
    due = requests.answer_due(answered, entry.sharing.type, context.settings.sharing, context.calendar)
    if answered.answer.date <= due:
        return None
    return Late(due, context.calendar.workdays_between(due, answered.answer.date))


def overdue(context: SharingContext, *, on: dt.date) -> tuple[grants.Overdue, ...]:
    return grants.overdue(
        context.requests, context.inventory, on=on, settings=context.settings.sharing, calendar=context.calendar
    )


def report(context: SharingContext, *, on: dt.date) -> grants.SharingReport:
    return grants.sharing_report(
        context.requests, context.inventory, on=on, settings=context.settings.sharing, calendar=context.calendar
    )


def findings(context: SharingContext, *, on: dt.date) -> tuple[consistency.CatalogueFinding, ...]:
    """The catalogue's consistency findings, with the grants active on ``on``."""
    active = grants.active_grants(context.requests, context.inventory, on=on)
    return consistency.catalogue_findings(context.inventory, active, context.settings)


def active_grants(context: SharingContext, *, on: dt.date) -> tuple[grants.ExchangeGrant, ...]:
    return grants.active_grants(context.requests, context.inventory, on=on)


def requests_with_deadlines(
    context: SharingContext,
) -> list[tuple[requests.SharingRequest, dt.date | None, dt.date | None]]:
    """Each request with its answer deadline and (once granted) its delivery deadline."""
    entries = context.inventory.entry_by_code
    result: list[tuple[requests.SharingRequest, dt.date | None, dt.date | None]] = []
    for request in context.requests:
        entry = entries.get(request.resource)
        answer_due = (
            requests.answer_due(request, entry.sharing.type, context.settings.sharing, context.calendar)
            if entry is not None
            else None
        )
        result.append((request, answer_due, requests.delivery_due(request, context.settings.sharing, context.calendar)))
    return result


def grants_of_day(
    root: Path, inventory: model.Inventory, *, on: dt.date | None = None
) -> tuple[grants.ExchangeGrant, ...] | None:
    """The active grants on ``on`` (today by default) for rendering; None when the city keeps no request files.

    ``govcloud render`` and the platform stack pass them to the desired state, so the exchange's authorisation
    list and the consumers' paths come from the same objects; an inventory without ``sharing/requests/``
    renders exactly as before.
    """
    if not request_files.requests_dir(root).is_dir():
        return None
    found = request_files.load_requests(root).requests
    return grants.active_grants(found, inventory, on=on or official_calendar.today())


# --- what the commands print or write ---------------------------------------------------------------------------


def today(on: dt.date | None = None) -> dt.date:
    """``on``, else today by the official calendar's clock (the city's time zone)."""
    return on if on is not None else official_calendar.today()


@dataclasses.dataclass(frozen=True)
class ReportTables:
    """``share report`` as two terminal tables: the figures per department (and the city), the catalogue findings."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    finding_columns: tuple[str, ...]
    finding_rows: tuple[tuple[str, ...], ...]


def report_tables(made: grants.SharingReport, found: Sequence[consistency.CatalogueFinding]) -> ReportTables:
    return ReportTables(
        tuple(sharing_report.COLUMNS),
        tuple(tuple(sharing_report.row_cells(row)) for row in sharing_report.rows(made)),
        tuple(sharing_report.FINDING_COLUMNS),
        tuple(tuple(sharing_report.finding_cells(finding)) for finding in found),
    )


REPORT_FORMATS: Final = ("markdown", "json", "html")


def report_text(made: grants.SharingReport, found: Sequence[consistency.CatalogueFinding], fmt: str) -> str:
    """``share report`` as Markdown, JSON or one self-contained HTML file (``fmt``: one of :data:`REPORT_FORMATS`)."""
    renderers: dict[str, Callable[[grants.SharingReport, Sequence[consistency.CatalogueFinding]], str]] = {
        "markdown": sharing_report.to_markdown,
        "json": sharing_report.to_json,
        "html": sharing_report.to_html,
    }
    return renderers[fmt](made, found)


def write_text(out: Path, text: str) -> None:
    """A report file, written atomically (a reader never sees half of it)."""
    yamlio.write_atomic(out, text)


def export_catalogue(inventory: model.Inventory, export_format: catalogue_export.ExportFormat, out: Path) -> None:
    """``govcloud catalogue export``: DCAT-AP 3.0 (Turtle, JSON-LD) or CKAN payloads, written atomically."""
    catalogue_export.write_export(inventory, export_format, out)
