"""Thresholds and limits that assessment, planning and provisioning use. Pure.

They live in one optional file, ``inventory/settings.yaml``; every field has a documented default, so an
inventory without the file behaves exactly as documented here. Values the regulations do not fix (marked
(?) in DOMAIN.md) are settings, never hard rules.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Annotated, Literal

import pydantic

from govcloud.core import model


class _Section(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")


ZombieCriterionName = Literal["detached", "replaceable", "idle", "unmaintained", "small_scope"]
"""The zombie criteria by name (``assessment.ZombieCriterion`` values; settings do not import the assessment)."""


class ZombieSettings(_Section):
    """The programme's five zombie criteria, made measurable."""

    months_without_update: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(
        default=36, description="maintenance stopped: no update for at least this many months (criterion 4)"
    )
    idle_cpu_percent: Annotated[float, pydantic.Field(ge=0, le=100)] = pydantic.Field(
        default=5.0, description="resources idle: average CPU utilisation below this (criterion 3)"
    )
    detached_max_monthly_users: Annotated[int, pydantic.Field(ge=0)] = pydantic.Field(
        default=30, description="use detached from business: fewer monthly users than this (criterion 1) ..."
    )
    detached_frequencies: tuple[model.Frequency, ...] = pydantic.Field(
        default=(model.Frequency.YEARLY, model.Frequency.RARELY),
        description="... and used no more often than these frequencies",
    )
    small_scope_max_monthly_users: Annotated[int, pydantic.Field(ge=0)] = pydantic.Field(
        default=50, description="small scope, low frequency: department-internal, fewer users than this (criterion 5)"
    )
    small_scope_frequencies: tuple[model.Frequency, ...] = pydantic.Field(
        default=(model.Frequency.QUARTERLY, model.Frequency.YEARLY, model.Frequency.RARELY),
        description="... and used no more often than these frequencies",
    )
    retire_min_independent_criteria: Annotated[int, pydantic.Field(ge=1, le=4)] = pydantic.Field(
        default=2,
        description="下线 is proposed only on at least this many independent criteria (detached and small_scope "
        "rest on the same usage figures and count as one), or on one strong criterion",
    )
    strong_criteria: tuple[ZombieCriterionName, ...] = pydantic.Field(
        default=("detached", "unmaintained"),
        description="criteria strong enough alone to propose 下线 (detached: almost nobody uses it; unmaintained: "
        "nobody updates it); idle CPU or a small scope alone only ask for a review (复核)",
    )
    counter_frequencies: tuple[model.Frequency, ...] = pydantic.Field(
        default=(model.Frequency.DAILY, model.Frequency.WEEKLY),
        description="counter-signal: a 面向公众 or 跨部门 system used at least this often is live, never 下线",
    )
    counter_monthly_users: Annotated[int, pydantic.Field(ge=0)] = pydantic.Field(
        default=5000, description="counter-signal: at least this many monthly users, whatever the scope"
    )
    counter_updated_within_months: Annotated[int, pydantic.Field(ge=0)] = pydantic.Field(
        default=6, description="counter-signal: updated within this many months of the reference date (0: off)"
    )
    counter_dependents: bool = pydantic.Field(
        default=True,
        description="counter-signal: another system depends on it (depends_on, or consumes its catalogue entries)",
    )


class DuplicateSettings(_Section):
    """Finding duplicated and shadow systems (criterion 2, and the merge candidates).

    Cosines of IDF-weighted character bigrams and trigrams of names and functions, and of the data item
    names of the systems' catalogue entries; shared data items can raise the score, never lower it. See
    :mod:`govcloud.assessment.core.similarity` for the formula, why n-grams, and the index that avoids all pairs.
    """

    min_similarity: Annotated[float, pydantic.Field(gt=0, le=1)] = pydantic.Field(
        default=0.65,
        description="score at or above which two systems are reported as duplicates (and only if they pass "
        "min_function_similarity and min_data_overlap too)",
    )
    name_weight: Annotated[float, pydantic.Field(ge=0, le=1)] = pydantic.Field(
        default=0.5, description="weight of the names' similarity (the three weights sum to 1)"
    )
    function_weight: Annotated[float, pydantic.Field(ge=0, le=1)] = pydantic.Field(
        default=0.4, description="weight of the functions' (功能) similarity"
    )
    data_item_weight: Annotated[float, pydantic.Field(ge=0, le=1)] = pydantic.Field(
        default=0.1,
        description="weight of the shared data items (信息项) of their catalogue entries; they only raise a "
        "score: a department's systems share its vocabulary of items whatever they do",
    )
    index_max_df_share: Annotated[float, pydantic.Field(ge=0, le=1)] = pydantic.Field(
        default=0.01,
        description="n-grams held by more than this share of systems (and more than index_min_df) are left "
        "out of the candidate index when that cannot lose a pair; affects speed, never results",
    )
    index_min_df: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(
        default=50, description="the frequency cap of the index is never below this many systems"
    )
    compare_counterpart_departments: bool = pydantic.Field(
        default=False,
        description="also compare systems of counterpart departments (the same bureau in different districts, "
        "whose parent chains share a root); off because they run the same functions for different "
        "territories by mandate",
    )
    merge_across_departments: bool = pydantic.Field(
        default=True,
        description="merge a shadow system into its duplicate in another department (otherwise only report it)",
    )
    min_function_similarity: Annotated[float, pydantic.Field(ge=0, le=1)] = pydantic.Field(
        default=0.3,
        description="a pair is a duplicate only if the cosine of their functions (功能) reaches this: alike names "
        "alone never make one",
    )
    min_data_overlap: Annotated[float, pydantic.Field(ge=0, le=1)] = pydantic.Field(
        default=0.3,
        description="... and the cosine of their distinctive data (data items and catalogue entry names, less "
        "each department's common vocabulary) reaches this: the same function means the same data",
    )
    department_common_share: Annotated[float, pydantic.Field(gt=0, le=1)] = pydantic.Field(
        default=0.5,
        description="a data item or entry name held by more than this share of a department's systems (and by "
        "at least department_common_min_systems) is the department's vocabulary, no evidence of duplication",
    )
    department_common_min_systems: Annotated[int, pydantic.Field(ge=2)] = pydantic.Field(
        default=3, description="... never below this many of its systems"
    )

    @pydantic.model_validator(mode="after")
    def _weights_sum_to_one(self) -> DuplicateSettings:
        total = self.name_weight + self.function_weight + self.data_item_weight
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"name_weight + function_weight + data_item_weight must be 1, got {total:g}")
        return self


class CloudSettings(_Section):
    """The shared cloud's limits and dedicated pools."""

    mlps_level: Annotated[int, pydantic.Field(ge=1, le=5)] = pydantic.Field(
        default=3, description="the cloud's own MLPS rating: systems graded above it cannot move"
    )
    mlps3_node_pool: str = pydantic.Field(default="mlps3", description="dedicated node pool for level-3 systems")
    dedicated_pools: tuple[str, ...] = pydantic.Field(
        default=(), description="dedicated resource pools declared for level-4 systems (none by default)"
    )
    architectures: tuple[model.CpuArch, ...] = pydantic.Field(
        default=(model.CpuArch.X86,),
        description="CPU architectures the cloud's hosts offer; a system on another one must be re-platformed",
    )
    non_virtualisable_os: tuple[str, ...] = pydantic.Field(
        default=("AIX", "HP-UX", "Solaris", "z/OS", "OS/390", "OS/400", "IBM i"),
        description="operating systems (matched case-insensitively at the start of System.os) that only run "
        "on their vendor's hardware and cannot be virtualised on the cloud",
    )
    cluster_cidrs: tuple[ipaddress.IPv4Network, ...] = pydantic.Field(
        default=(ipaddress.IPv4Network("10.244.0.0/16"), ipaddress.IPv4Network("10.96.0.0/12")),
        description="the cluster's pod and service ranges: never counted as 'the Internet' in NetworkPolicies",
    )
    image_registry: str = pydantic.Field(
        default="registry.egov.internal",
        description="registry of the placeholder image derived for a system without cloud.image",
    )
    gateway_domain: str = pydantic.Field(
        default="gateway.egov.internal",
        description="DNS domain of the business collaboration gateway: a system's route is <system>.<domain>",
    )
    image_pull_secret: str | None = pydantic.Field(
        default=None,
        description="existing Secret every namespace pulls images with (a department's own image_pull_secret wins)",
    )
    storage_classes: dict[Annotated[int, pydantic.Field(ge=1, le=4)], str] = pydantic.Field(
        default_factory=lambda: {1: "standard", 2: "standard", 3: "encrypted-mlps3", 4: "encrypted-dedicated"},
        description="StorageClass of a moved database's volume per MLPS level (level 3 and up: encrypted)",
    )
    default_storage_class: str = pydantic.Field(
        default="standard", description="StorageClass of an ungraded system's database volumes"
    )
    public_gateway_controller: str = pydantic.Field(
        default="gateway.envoyproxy.io/govcloud-internet",
        description="controllerName of the Internet access zone's GatewayClass (an Envoy Gateway install of its own)",
    )
    collaboration_gateway_controller: str = pydantic.Field(
        default="gateway.envoyproxy.io/govcloud-collaboration",
        description="controllerName of the collaboration gateway's GatewayClass (a second, separate install)",
    )
    public_gateway_control_namespace: str = pydantic.Field(
        default="envoy-gateway-internet",
        description="namespace of the public gateway's controller: its proxies fetch their configuration there",
    )
    collaboration_gateway_control_namespace: str = pydantic.Field(
        default="envoy-gateway-collaboration",
        description="namespace of the collaboration gateway's controller",
    )
    gateway_control_port: Annotated[int, pydantic.Field(ge=1, le=65535)] = pydantic.Field(
        default=18000, description="the controllers' configuration (xDS) port the proxies connect to"
    )
    public_tls_issuer: str = pydantic.Field(
        default="govcloud-public",
        description="cert-manager ClusterIssuer of the public hostnames' certificates (e.g. ACME or the city CA)",
    )
    collaboration_tls_issuer: str = pydantic.Field(
        default="govcloud-internal-ca",
        description="cert-manager ClusterIssuer of the collaboration gateway's wildcard certificate",
    )
    tls_secret: str | None = pydantic.Field(
        default=None,
        description="an existing TLS Secret (in govcloud-ingress and govcloud-gateway) used by every listener "
        "instead of cert-manager Certificates",
    )


class WaveSettings(_Section):
    """Capacity and calendar of migration waves.

    A wave's days are split into three equal parts, one per stage (network, data, business), so a provider
    placed in the same wave as its consumer finishes its data stage before the consumer's business stage.
    """

    start: dt.date = pydantic.Field(default=dt.date(2027, 1, 4), description="first day of wave 1")
    length_days: Annotated[int, pydantic.Field(ge=3)] = pydantic.Field(
        default=28, description="length of one wave in days (at least 3: one part per stage)"
    )
    max_systems: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(default=40, description="systems per wave")
    cpu: Annotated[float, pydantic.Field(gt=0)] = pydantic.Field(default=400.0, description="cluster cores per wave")
    memory_gib: Annotated[float, pydantic.Field(gt=0)] = pydantic.Field(
        default=1600.0, description="cluster memory per wave (GiB)"
    )
    decommission_after_days: Annotated[int, pydantic.Field(ge=0)] = pydantic.Field(
        default=14,
        description="days between the end of the last wave a decommission waits for and the shutdown "
        "(parallel run: dependents re-pointed and checked before the old system goes)",
    )


class CensusFormSettings(_Section):
    """Reading census forms as departments return them (``govcloud census import``)."""

    ignored_columns: tuple[str, ...] = pydantic.Field(
        default=(),
        description="headers of extra columns a form may carry and the import skips with a notice, besides "
        "序号 and 备注, which are always skipped (matched after the same clean-up as the form's own headers: "
        "【必填】-style markers, bracketed suffixes and spaces removed)",
    )


OrchestrationRole = Literal[
    "migration_lead",
    "security_officer",
    "ops_engineer",
    "auditor",
    "programme_office",
    "sharing_head",
    "sharing_authority",
]


class OrchestrationSettings(_Section):
    """Who may write which entry of the migration ledger, and where the ledger lives.

    ``migration_lead`` is held per department (the system's department must be one of the lead's); the
    other roles hold for the whole programme. Defaults: a department's lead starts, finishes, blocks and
    rolls back its stages; business ``done`` of an MLPS level 3 (or higher) system also needs a security
    officer's ``stage.signoff`` (acceptance and 等保 test); a gate override and adopting existing statuses
    need the programme office. Data-sharing steps (政务数据共享条例 Art. 20-21): ``sharing_head`` is held per
    department (the head of its 政务数据共享工作机构): the requester's head approves a request, the
    provider's head its answer, delivery, suspension and resumption; the 主管部门 (``sharing_authority``,
    programme-wide) consents to an extension; either department's head takes a dispute a step up.
    """

    ledger: str = pydantic.Field(
        default=".govcloud/ledger.sqlite",
        description="the ledger's SQLite file, relative to the working directory (--ledger overrides it)",
    )
    transition_role: OrchestrationRole = pydantic.Field(
        default="migration_lead", description="role that moves a stage (in_progress, done, blocked, pending)"
    )
    signoff_role: OrchestrationRole = pydantic.Field(
        default="security_officer", description="role whose stage.signoff business done needs (acceptance, 等保 test)"
    )
    signoff_min_mlps_level: Annotated[int, pydantic.Field(ge=1, le=5)] = pydantic.Field(
        default=3, description="business done of systems at or above this MLPS level needs the sign-off"
    )
    override_role: OrchestrationRole = pydantic.Field(
        default="programme_office", description="role that may override a failing gate"
    )
    adopt_role: OrchestrationRole = pydantic.Field(
        default="programme_office", description="role that records existing plan statuses into a new ledger"
    )
    confirm_role: OrchestrationRole = pydantic.Field(
        default="migration_lead", description="role that confirms a 下线/整合 disposition of its department's system"
    )
    share_approval_role: OrchestrationRole = pydantic.Field(
        default="sharing_head",
        description="role (per department) that approves a sharing request (requester) and its answer (provider)",
    )
    share_consent_role: OrchestrationRole = pydantic.Field(
        default="sharing_authority", description="role of the 主管部门 that consents to extending an answer"
    )


class PrivacySettings(_Section):
    """Which catalogue data items are personal information (个人信息保护法), read by the sharing checks and the diff.

    A data item is personal when its name contains one of ``personal_data_items`` (so 救助对象姓名 matches 姓名).
    """

    personal_data_items: tuple[str, ...] = pydantic.Field(
        default=(
            "公民身份号码",
            "身份证",
            "姓名",
            "手机号码",
            "联系电话",
            "住址",
            "户籍",
            "出生日期",
            "银行账号",
            "银行卡",
            "护照",
            "社会保障号",
            "医保",
            "病历",
            "健康",
            "指纹",
            "人脸",
            "车牌号",
        ),
        description="substrings of a data item's name that make it personal information",
    )


class ReportSettings(_Section):
    """The reports: their language and the CJK font the HTML report embeds (a subset, so it renders anywhere)."""

    language: Literal["zh-CN", "en"] = pydantic.Field(default="zh-CN", description="labels of the reports")
    cjk_font: str | None = pydantic.Field(
        default=None,
        description="font file (OTF/TTF/TTC) to embed a subset of; default: fc-match, then Debian's Noto Sans CJK SC",
    )
    embed_font: bool = pydantic.Field(default=True, description="embed a subset of the CJK font in the HTML report")


class DeclaredCalendarYear(_Section):
    """One year's working-day calendar as the State Council's holiday notice declares it (国务院办公厅放假通知).

    For years the bundled official calendar does not know yet: every weekday is a working day except the
    ``holidays``; every weekend day is a rest day except the ``workdays`` (调休 make-up working days).
    """

    year: Annotated[int, pydantic.Field(ge=2000, le=2100)]
    holidays: tuple[dt.date, ...] = pydantic.Field(default=(), description="weekdays that are public holidays")
    workdays: tuple[dt.date, ...] = pydantic.Field(default=(), description="weekend days that are make-up workdays")

    @pydantic.model_validator(mode="after")
    def _dates_in_year(self) -> DeclaredCalendarYear:
        stray = [d for d in (*self.holidays, *self.workdays) if d.year != self.year]
        if stray:
            raise ValueError(f"dates outside {self.year}: " + ", ".join(d.isoformat() for d in stray))
        return self


class SharingSettings(_Section):
    """Deadlines of the 政务数据共享条例 (国务院令第809号), in working days unless stated; provinces may differ."""

    unconditional_answer_days: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(
        default=1, description="Art. 21: a request for a 无条件共享 resource is answered within this many working days"
    )
    conditional_answer_days: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(
        default=10, description="Art. 21: a request for a 有条件共享 resource is answered yes or no within this"
    )
    max_extension_days: Annotated[int, pydantic.Field(ge=0)] = pydantic.Field(
        default=10, description="Art. 21: one extension of at most this many working days, with the 主管部门's consent"
    )
    delivery_days: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(
        default=20, description="Art. 22: delivery within this many working days of the agreement"
    )
    catalogue_update_days: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(
        default=10, description="Art. 17: a catalogue is updated within this after a change of law or duties"
    )
    catalogue_update_extension_days: Annotated[int, pydantic.Field(ge=0)] = pydantic.Field(
        default=5, description="Art. 17: ... plus at most this with the 主管部门's consent"
    )
    publish_review_days: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(
        default=2, description="Art. 17: the 主管部门 reviews and publishes an updated catalogue within this"
    )
    correction_days: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(
        default=10, description="Art. 26: a 校核 request is checked, corrected and answered within this"
    )
    usage_record_years: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(
        default=3, description="Art. 29: the requester keeps its usage records at least this many years"
    )
    calendar_years: tuple[DeclaredCalendarYear, ...] = pydantic.Field(
        default=(),
        description="working-day calendars of years the bundled official calendar does not know (a declared "
        "year wins over the bundled one); a deadline in a year known to neither is refused, never guessed",
    )
    default_grade: Literal["一般", "重要", "核心"] = pydantic.Field(
        default="一般", description="数据分类分级 of a catalogue entry that records none (数据安全法 Art. 21)"
    )
    open_grades: tuple[Literal["一般", "重要", "核心"], ...] = pydantic.Field(
        default=("一般",),
        description="grades an entry may have and still be 无条件共享 or open to the public; others are findings",
    )
    require_sharing_office: bool = pydantic.Field(
        default=True, description="Art. 11: govcloud check requires each department's 政务数据共享工作机构 (name, head)"
    )
    require_assessment_before_publishing: bool = pydantic.Field(
        default=True,
        description="Art. 13: govcloud check requires a published entry's 保密/个人信息 assessment, on or before "
        "its publish date",
    )
    require_conditional_scope_and_purpose: bool = pydantic.Field(
        default=True, description="Art. 15: govcloud check requires 共享范围 and 使用用途 of each 有条件共享 entry"
    )


class Settings(_Section):
    """Everything in ``inventory/settings.yaml``; every section optional."""

    zombie: ZombieSettings = ZombieSettings()
    duplicate: DuplicateSettings = DuplicateSettings()
    cloud: CloudSettings = CloudSettings()
    waves: WaveSettings = WaveSettings()
    census_forms: CensusFormSettings = CensusFormSettings()
    orchestration: OrchestrationSettings = OrchestrationSettings()
    privacy: PrivacySettings = PrivacySettings()
    reports: ReportSettings = ReportSettings()
    sharing: SharingSettings = SharingSettings()


DEFAULT_SETTINGS = Settings()
