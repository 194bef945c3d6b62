"""The census model: departments, zones, systems, catalogue entries, hosts. Pure: no I/O.

Every type is an immutable pydantic model that forbids unknown fields, so a typo in an inventory file is
an error, not a silently ignored key. Closed sets of values are enums whose values are the Chinese terms
the census forms and regulations use, because those are what migration leads and auditors read in the
YAML. Cross-record rules (references, sharing rules, dates) live in :mod:`govcloud.census.core.checks`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import ipaddress
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Annotated, Any, Literal

import pydantic

# ---------------------------------------------------------------------------------------------------------
# Enumerations (values are the census terms)


class Scope(enum.StrEnum):
    """使用范围: who uses the system."""

    INTERNAL = "部门内部"
    CROSS_DEPARTMENT = "跨部门"
    PUBLIC = "面向公众"


class Frequency(enum.StrEnum):
    """使用频度: how often the system is used."""

    DAILY = "每日"
    WEEKLY = "每周"
    MONTHLY = "每月"
    QUARTERLY = "每季度"
    YEARLY = "每年"
    RARELY = "极少"


class ConstructionMode(enum.StrEnum):
    """建设方式."""

    GOVERNMENT = "政府投资建设"
    PARTNERSHIP = "政企合作建设"
    SERVICE_PURCHASE = "购买服务"


class CarryingNetwork(enum.StrEnum):
    """承载网络: the network the system runs on today."""

    EXTRANET = "电子政务外网"
    INTRANET = "电子政务内网"
    PRIVATE = "业务专网"
    INTERNET = "互联网"
    LAN = "局域网"


class Deployment(enum.StrEnum):
    """部署方式."""

    PHYSICAL = "物理机"
    VM = "虚拟机"
    CONTAINER = "容器"


class CpuArch(enum.StrEnum):
    """CPU架构."""

    X86 = "x86"
    ARM = "ARM"
    MINICOMPUTER = "小型机"
    MAINFRAME = "大型机"


class VendorSupport(enum.StrEnum):
    """厂商支持."""

    ACTIVE = "正常"
    ENDED = "停止支持"
    VENDOR_GONE = "厂商不存在"


class SharingType(enum.StrEnum):
    """共享类型 (国发〔2016〕51号)."""

    UNCONDITIONAL = "无条件共享"
    CONDITIONAL = "有条件共享"
    NOT_SHARED = "不予共享"


class ResourceFormat(enum.StrEnum):
    """资源格式 (2017 catalogue guide)."""

    FILE = "电子文件"
    SPREADSHEET = "电子表格"
    DATABASE = "数据库"
    IMAGE = "图形图像"
    STREAMING = "流媒体"
    SELF_DESCRIBING = "自描述格式"
    SERVICE = "服务接口"


class UpdateCycle(enum.StrEnum):
    """更新周期."""

    REALTIME = "实时"
    DAILY = "每日"
    WEEKLY = "每周"
    MONTHLY = "每月"
    QUARTERLY = "每季度"
    HALF_YEARLY = "每半年"
    YEARLY = "每年"


class ResourceCategory(enum.StrEnum):
    """资源分类, the 类 level: its digit opens the resource code."""

    BASE = "基础信息资源"
    THEMATIC = "主题信息资源"
    DEPARTMENTAL = "部门信息资源"

    @property
    def digit(self) -> str:
        return {"基础信息资源": "1", "主题信息资源": "2", "部门信息资源": "3"}[self.value]


class DataItemType(enum.StrEnum):
    """信息项 data types: character, number, currency, date, datetime, logical, memo, general, binary, image, file."""

    C = "C"
    N = "N"
    Y = "Y"
    D = "D"
    T = "T"
    L = "L"
    M = "M"
    G = "G"
    B = "B"
    I = "I"  # noqa: E741 - the guide's own letter for image
    F = "F"


class ZoneKind(enum.StrEnum):
    """Zones of the government extranet (电子政务外网) and of the intranet (电子政务内网, which has no 互联网接入区)."""

    PUBLIC = "公用网络区"
    DEDICATED = "专用网络区"
    INTERNET_ACCESS = "互联网接入区"


class GovNetwork(enum.StrEnum):
    """The two government networks. Physically isolated: no host, address, flow or call spans both."""

    EXTRANET = "电子政务外网"
    INTRANET = "电子政务内网"


class HostRole(enum.StrEnum):
    """What a cloud host or network device does; Ansible groups follow these."""

    ZONE_ROUTER = "zone_router"
    K8S_CONTROL = "k8s_control"
    K8S_NODE = "k8s_node"
    SERVICE = "service"


class Disposition(enum.StrEnum):
    """What happens to a system (the outcome labels the programme tracks)."""

    REHOST = "迁移"
    REPLATFORM = "改造后迁移"
    MERGE = "整合"
    RETIRE = "下线"
    DEFER = "暂缓"
    EXEMPT = "豁免"


class Protocol(enum.StrEnum):
    TCP = "TCP"
    UDP = "UDP"


# ---------------------------------------------------------------------------------------------------------
# Shared pieces


class Record(pydantic.BaseModel):
    """Base of every inventory record: immutable, unknown fields are errors, whitespace trimmed."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, use_enum_values=False)


NonEmpty = Annotated[str, pydantic.StringConstraints(min_length=1, strip_whitespace=True)]
DepartmentCode = Annotated[str, pydantic.StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,15}$")]
SystemCode = Annotated[str, pydantic.StringConstraints(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$", max_length=40)]
ZoneCode = Annotated[str, pydantic.StringConstraints(pattern=r"^[A-Z][A-Z0-9-]{0,30}$")]
HostName = Annotated[str, pydantic.StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
MlpsLevel = Annotated[int, pydantic.Field(ge=1, le=5)]
Percent = Annotated[float, pydantic.Field(ge=0, le=100)]
Port = Annotated[int, pydantic.Field(ge=1, le=65535)]


class Contact(Record):
    name: NonEmpty
    role: str | None = None
    phone: str | None = None
    email: str | None = None


class FreezeWindow(Record):
    """A period in which a department accepts no migration work (budget close, major events)."""

    start: dt.date
    end: dt.date
    reason: NonEmpty


class ServicePort(Record):
    """A port a system listens on; the flow matrix opens these to its declared consumers."""

    name: Annotated[str, pydantic.StringConstraints(pattern=r"^[a-z]([a-z0-9-]{0,13}[a-z0-9])?$")]
    port: Port
    protocol: Protocol = Protocol.TCP


SHARE_PORT = ServicePort(name="share", port=8443)
"""Where a system serves its shareable catalogue entries to the exchange (data stage); reserved."""
RESTRICTED_PORT = ServicePort(name="restricted", port=8444)
"""Where a system serves its 不予共享 entries, inside its own department only; reserved."""


# ---------------------------------------------------------------------------------------------------------
# Departments and zones


class SharingOffice(Record):
    """A department's 政务数据共享工作机构 (政务数据共享条例 Art. 11): its name and its head.

    The head approves the department's sharing requests and its answers to others' (Art. 20).
    """

    name: NonEmpty
    head: NonEmpty


class Department(Record):
    """A government department (委办局)."""

    code: DepartmentCode
    name: NonEmpty
    uscc: Annotated[str, pydantic.Field(description="统一社会信用代码 (GB 32100)")]
    parent: DepartmentCode | None = None
    admin_group: str | None = pydantic.Field(
        default=None, description="identity-provider group whose members administer this department's namespaces"
    )
    freeze_windows: tuple[FreezeWindow, ...] = ()
    image_pull_secret: str | None = pydantic.Field(
        default=None, description="existing Secret its pods pull images with (default: cloud.image_pull_secret)"
    )
    sharing_office: SharingOffice | None = pydantic.Field(
        default=None, description="政务数据共享工作机构 (条例 Art. 11): required by govcloud check"
    )


class Zone(Record):
    """A zone of the government extranet or intranet with its address ranges."""

    code: ZoneCode
    name: NonEmpty
    kind: ZoneKind
    department: DepartmentCode | None = pydantic.Field(
        default=None, description="owning department; required for 专用网络区, forbidden otherwise"
    )
    ranges: tuple[ipaddress.IPv4Network, ...] = pydantic.Field(min_length=1)


class PlatformService(Record):
    """A shared platform service in the public zone (data-sharing exchange, collaboration gateway)."""

    name: NonEmpty
    zone: ZoneCode
    address: ipaddress.IPv4Address
    ports: tuple[ServicePort, ...] = pydantic.Field(min_length=1)
    on_cluster: bool = pydantic.Field(
        default=True,
        description="runs as pods in its platform namespace on the shared cloud; false: it runs elsewhere, at "
        "its address, and the NetworkPolicies reach it and admit it there",
    )
    image: str | None = pydantic.Field(
        default=None,
        description="on the cluster: govcloud runs it from this image (pinned by digest) as a Deployment and "
        "Service in its platform namespace; absent: its pods are installed by other means (the gateway's are "
        "the Gateway API implementation's proxies)",
    )


class Platform(Record):
    """The shared platform every department connects to."""

    exchange: PlatformService
    gateway: PlatformService
    ingress: PlatformService = pydantic.Field(description="the Internet access zone's ingress")


class Management(Record):
    """The out-of-band management network: the only source of management traffic (SSH) to hosts.

    Kept apart from business traffic: business flows never use these ports, and management flows come only
    from these ranges.
    """

    ranges: tuple[ipaddress.IPv4Network, ...] = pydantic.Field(min_length=1)
    ports: tuple[ServicePort, ...] = (ServicePort(name="ssh", port=22),)


class Intranet(Record):
    """The government intranet (电子政务内网) for classified (涉密) work: its own zones and management network.

    Physically isolated from the extranet and the Internet: its address plan shares no address with them, its
    routers and hosts have no interface on them, and no flow or call crosses. It has a 公用网络区 and one
    专用网络区 per department, and no 互联网接入区.
    """

    name: NonEmpty = "电子政务内网"
    zones: tuple[Zone, ...]
    management: Management | None = None


class Network(Record):
    """The government extranet (its zones and the shared platform services) and, apart from it, the intranet."""

    name: NonEmpty = "电子政务外网"
    zones: tuple[Zone, ...]
    platform: Platform
    management: Management | None = None
    intranet: Intranet | None = pydantic.Field(
        default=None, description="the 电子政务内网: classified systems move there, never onto the shared cloud"
    )


# ---------------------------------------------------------------------------------------------------------
# Systems


class Sizing(Record):
    cpu: Annotated[float, pydantic.Field(gt=0, le=1024)] = 2
    memory_gib: Annotated[float, pydantic.Field(gt=0, le=8192)] = 4
    storage_gib: Annotated[float, pydantic.Field(ge=0, le=1_000_000)] = 0
    replicas: Annotated[int, pydantic.Field(ge=1, le=100)] = 1


class Probe(Record):
    """How the cluster tells a system is alive and ready: an HTTP path, or a command; on a port.

    Without one (or without path and command) the workload is probed from its first service port: httpGet on
    ``/`` for a port whose name says HTTP (``http``, ``https``, ``web``, ...), tcpSocket otherwise.
    """

    path: Annotated[str, pydantic.StringConstraints(pattern=r"^/\S*$")] | None = pydantic.Field(
        default=None, description="HTTP path answered with 2xx/3xx when healthy (httpGet)"
    )
    port: Port | None = pydantic.Field(default=None, description="port to probe (default: the first service port)")
    command: tuple[NonEmpty, ...] = pydantic.Field(default=(), description="command run in the container (exec)")
    initial_delay_seconds: Annotated[int, pydantic.Field(ge=0, le=3600)] = 10

    @pydantic.model_validator(mode="after")
    def _one_handler(self) -> Probe:
        if self.path is not None and self.command:
            raise ValueError("a probe has a path (httpGet) or a command (exec), not both")
        return self


class DatabaseDecision(enum.StrEnum):
    """What happens to one of a system's databases when the system moves."""

    MOVED = "moved"
    """It moves onto the cluster with the system: a StatefulSet with a volume sized from the census."""
    STAYS = "stays"
    """It stays on its legacy host: the system reaches it at its census address, through a declared flow."""


K8sName = Annotated[str, pydantic.StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]


class DatabasePlacement(Record):
    """The decision for one database of :attr:`System.databases` (the name as the census lists it)."""

    name: NonEmpty = pydantic.Field(description="as listed in the system's databases")
    engine: NonEmpty = pydantic.Field(description="database engine and version, e.g. PostgreSQL 15, DM8")
    decision: DatabaseDecision
    port: Port = pydantic.Field(description="the port the database listens on")
    storage_gib: Annotated[float, pydantic.Field(gt=0, le=1_000_000)] | None = pydantic.Field(
        default=None, description="moved: the size of its volume"
    )
    image: str | None = pydantic.Field(default=None, description="moved: the database server image, pinned by digest")
    address: ipaddress.IPv4Address | None = pydantic.Field(default=None, description="stays: its legacy host address")

    @pydantic.model_validator(mode="after")
    def _decision_fields(self) -> DatabasePlacement:
        if self.decision is DatabaseDecision.MOVED:
            missing = [f for f in ("storage_gib", "image") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"a moved database states {' and '.join(missing)}")
            if self.address is not None:
                raise ValueError("a moved database runs on the cluster: no legacy address")
        elif self.address is None:
            raise ValueError("a database that stays states its legacy host address")
        return self


class CloudPlacement(Record):
    """Where the system runs on the shared cloud; absent until it is planned to move."""

    zone: ZoneCode = pydantic.Field(description="extranet zone its workload belongs to")
    image: str | None = pydantic.Field(default=None, description="container image; a placeholder is derived if absent")
    node_pool: str | None = pydantic.Field(default=None, description="dedicated node pool (required for MLPS level 4)")
    stateful: bool = False
    public_hostnames: tuple[str, ...] = pydantic.Field(
        default=(), description="hostnames published through the Internet access zone's ingress"
    )
    writable_root: bool = pydantic.Field(
        default=False, description="the workload cannot run with a read-only root filesystem (stated exception)"
    )
    probe: Probe | None = pydantic.Field(
        default=None, description="liveness and readiness probe (default: from the first service port)"
    )
    config: dict[Annotated[str, pydantic.StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = pydantic.Field(
        default_factory=dict, description="non-secret settings, rendered into the system's ConfigMap as variables"
    )
    secrets: tuple[K8sName, ...] = pydantic.Field(
        default=(), description="names of existing Secrets in its namespace, passed as variables (never values)"
    )
    databases: tuple[DatabasePlacement, ...] = pydantic.Field(
        default=(), description="the decision for each database of the system's databases"
    )


class DispositionOverride(Record):
    """A migration lead's decision that wins over the assessment's disposition."""

    disposition: Disposition
    reason: NonEmpty
    decided_by: NonEmpty
    decided_on: dt.date
    merge_into: SystemCode | None = None


class System(Record):
    """A government information system (政务信息系统) with its census fields and what migration needs."""

    code: SystemCode
    name: NonEmpty
    department: DepartmentCode
    function: NonEmpty
    scope: Scope
    frequency: Frequency
    approving_body: str | None = None
    approval_date: dt.date | None = None
    construction_mode: ConstructionMode
    build_funding: str | None = pydantic.Field(default=None, description="建设经费来源")
    om_funding: str | None = pydantic.Field(default=None, description="运维经费来源")
    carrying_network: CarryingNetwork
    classified: bool = False
    mlps_level: MlpsLevel | None = pydantic.Field(default=None, description="等保级别 1-5; null when ungraded")
    deployment: Deployment
    os: str | None = None
    cpu_arch: CpuArch = CpuArch.X86
    databases: tuple[str, ...] = ()
    special_hardware: tuple[str, ...] = ()
    licence_allows_virtualisation: bool = True
    vendor_support: VendorSupport = VendorSupport.ACTIVE
    go_live: dt.date | None = None
    last_update: dt.date | None = None
    avg_cpu_percent: Percent | None = None
    monthly_active_users: Annotated[int, pydantic.Field(ge=0)] | None = None
    sizing: Sizing = Sizing()
    ports: tuple[ServicePort, ...] = ()
    depends_on: tuple[SystemCode, ...] = pydantic.Field(default=(), description="systems this one calls")
    consumes: tuple[str, ...] = pydantic.Field(default=(), description="catalogue resource codes it uses")
    owner: Contact | None = None
    contacts: tuple[Contact, ...] = ()
    cloud: CloudPlacement | None = None
    disposition_override: DispositionOverride | None = None
    intranet_zone: ZoneCode | None = pydantic.Field(
        default=None,
        description="classified systems only: the 电子政务内网 zone its network stage moves it to "
        "(default: its department's intranet 专用网络区)",
    )


# ---------------------------------------------------------------------------------------------------------
# Private networks


PrivateNetworkCode = Annotated[str, pydantic.StringConstraints(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$", max_length=40)]


class PrivateNetwork(Record):
    """A department's private network (业务专网) and the systems that still run on it.

    The programme consolidates them: each system's network stage moves it onto the extranet (or, classified,
    onto the intranet); once the last listed system has left or been retired the network is decommissioned.
    """

    code: PrivateNetworkCode
    name: NonEmpty
    department: DepartmentCode
    systems: tuple[SystemCode, ...] = pydantic.Field(default=(), description="systems carried on it today")
    ranges: tuple[ipaddress.IPv4Network, ...] = pydantic.Field(
        default=(), description="its legacy address plan (released when it is decommissioned)"
    )
    operator: str | None = pydantic.Field(default=None, description="who runs the lines (carrier or ministry)")


# ---------------------------------------------------------------------------------------------------------
# Catalogue entries


class DataItem(Record):
    name: NonEmpty
    type: DataItemType


class Sharing(Record):
    type: SharingType
    conditions: str | None = pydantic.Field(default=None, description="共享条件; 无条件 for 无条件共享")
    method: str | None = pydantic.Field(default=None, description="共享方式, e.g. 接口 or 文件下载")
    legal_basis: str | None = pydantic.Field(default=None, description="law or policy cited by 不予共享")
    scope: str | None = pydantic.Field(
        default=None, description="共享范围 of a 有条件共享 entry: who may receive it (条例 Art. 15)"
    )
    purpose: str | None = pydantic.Field(
        default=None, description="使用用途 of a 有条件共享 entry: what it may be used for (条例 Art. 15)"
    )


class DataGrade(enum.StrEnum):
    """数据分类分级 (数据安全法 Art. 21): general, important and core data."""

    GENERAL = "一般"
    IMPORTANT = "重要"
    CORE = "核心"


class PublicationAssessment(Record):
    """The 保密 and 个人信息 assessment of an entry, approved by its department's head before publishing (Art. 13)."""

    date: dt.date
    approver: NonEmpty = pydantic.Field(description="the department head who approved it")


class OpenAttributes(Record):
    open: bool = False
    conditions: str | None = None


RESOURCE_CODE_PATTERN = r"^\d{6,}/\d{1,10}$"


class CatalogueEntry(Record):
    """An information resource (信息资源) of the 2017 catalogue guide."""

    code: Annotated[str, pydantic.Field(description="资源代码: classification digits / sequence digits")]
    name: NonEmpty
    category: ResourceCategory
    classification_path: tuple[str, ...] = pydantic.Field(
        default=(), description="names of the 项/目/细目 levels under the category"
    )
    provider: DepartmentCode
    system: SystemCode | None = pydantic.Field(default=None, description="the system that holds the resource")
    abstract: str | None = None
    format: ResourceFormat
    data_items: tuple[DataItem, ...] = pydantic.Field(min_length=1)
    sharing: Sharing
    open: OpenAttributes = OpenAttributes()
    update_cycle: UpdateCycle
    publish_date: dt.date | None = None
    related: tuple[str, ...] = ()
    grade: DataGrade | None = pydantic.Field(
        default=None, description="数据分类分级 (一般/重要/核心); absent: the settings' sharing.default_grade"
    )
    assessment: PublicationAssessment | None = pydantic.Field(
        default=None, description="保密 and 个人信息 assessment (date, approver): required before publish_date"
    )


# ---------------------------------------------------------------------------------------------------------
# Hosts


class HostAddress(Record):
    zone: ZoneCode
    address: ipaddress.IPv4Interface
    interface: str | None = None


class Host(Record):
    """A cloud host or network device that Ansible manages."""

    name: HostName
    role: HostRole
    zone: ZoneCode = pydantic.Field(description="zone the host sits in (a router: its management zone)")
    addresses: tuple[HostAddress, ...] = pydantic.Field(min_length=1)
    node_pool: str | None = None
    mlps_level: MlpsLevel | None = None
    systems: tuple[SystemCode, ...] = pydantic.Field(
        default=(), description="systems this (legacy) server runs; firewall rules for them target its addresses"
    )


# ---------------------------------------------------------------------------------------------------------
# Files and the whole inventory


class DepartmentFile(Record):
    """``inventory/departments/<CODE>.yaml``: one department's census."""

    department: Department
    systems: tuple[System, ...] = ()
    catalogue: tuple[CatalogueEntry, ...] = ()
    private_networks: tuple[PrivateNetwork, ...] = ()


class HostsFile(Record):
    """``inventory/hosts.yaml``."""

    hosts: tuple[Host, ...] = ()


class CityFile(Record):
    """``inventory/city.yaml``: the city and the cloud it builds."""

    name: NonEmpty
    division_code: Annotated[str, pydantic.StringConstraints(pattern=r"^\d{6}$")]
    census_date: dt.date


INVENTORY_KIND = Literal["department", "system", "catalogue", "zone", "host", "private_network"]


@dataclasses.dataclass(frozen=True)
class Call:
    """One system calling another: declared (``depends_on``), through consumed catalogue entries, or both."""

    caller: str
    provider: str
    declared: bool
    """The caller lists the provider in ``depends_on``."""
    entries: tuple[str, ...]
    """The provider's catalogue entries the caller consumes (resource codes, in the caller's order)."""


class Inventory(pydantic.BaseModel):
    """The whole census, cross-referenced. Build it through the loader, which checks it."""

    model_config = pydantic.ConfigDict(frozen=True, arbitrary_types_allowed=True)

    city: CityFile
    network: Network
    departments: tuple[Department, ...]
    systems: tuple[System, ...]
    catalogue: tuple[CatalogueEntry, ...]
    hosts: tuple[Host, ...]
    private_networks: tuple[PrivateNetwork, ...] = ()

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Inventory:
        """A copy with ``update`` applied; the lookup tables below are rebuilt, never carried over stale."""
        copied = super().model_copy(update=update, deep=deep)
        for name in _INVENTORY_LOOKUPS:
            copied.__dict__.pop(name, None)
        return copied

    @cached_property
    def department_by_code(self) -> Mapping[str, Department]:
        return {d.code: d for d in self.departments}

    @cached_property
    def system_by_code(self) -> Mapping[str, System]:
        return {s.code: s for s in self.systems}

    @cached_property
    def entry_by_code(self) -> Mapping[str, CatalogueEntry]:
        return {e.code: e for e in self.catalogue}

    @cached_property
    def zone_by_code(self) -> Mapping[str, Zone]:
        return {z.code: z for z in self.network.zones}

    @cached_property
    def zone_of_department(self) -> Mapping[str, Zone]:
        return {z.department: z for z in self.network.zones if z.department is not None}

    @cached_property
    def systems_of_department(self) -> Mapping[str, tuple[System, ...]]:
        grouped: dict[str, list[System]] = {d.code: [] for d in self.departments}
        for system in self.systems:
            grouped.setdefault(system.department, []).append(system)
        return {code: tuple(items) for code, items in grouped.items()}

    @cached_property
    def entries_of_system(self) -> Mapping[str, tuple[CatalogueEntry, ...]]:
        grouped: dict[str, list[CatalogueEntry]] = {}
        for entry in self.catalogue:
            if entry.system is not None:
                grouped.setdefault(entry.system, []).append(entry)
        return {code: tuple(items) for code, items in grouped.items()}

    def zones_of_kind(self, kind: ZoneKind) -> Iterator[Zone]:
        return (z for z in self.network.zones if z.kind is kind)

    # -- who calls whom ----------------------------------------------------------------------------------
    @cached_property
    def calls(self) -> tuple[Call, ...]:
        """Every caller → provider pair once: a declared call (``depends_on``), consumed entries, or both.

        The one computation of "who calls whom": the dependency graph, the dependents of the assessment and
        the gates, and the report's cross-department pairs all read it. A system never calls itself; an entry
        with no ``system`` names no provider; a provider may be absent from the census (the checks report it).
        Pairs come in census order, each system's declared calls first, then its consumed entries' providers.
        """
        entries = self.entry_by_code
        found: list[Call] = []
        for system in self.systems:
            pairs: dict[str, tuple[bool, list[str]]] = {}
            for provider in system.depends_on:
                if provider != system.code:
                    pairs.setdefault(provider, (True, []))
            for code in system.consumes:
                entry = entries.get(code)
                if entry is None or entry.system is None or entry.system == system.code:
                    continue
                pairs.setdefault(entry.system, (False, []))[1].append(code)
            found.extend(
                Call(system.code, provider, declared, tuple(codes)) for provider, (declared, codes) in pairs.items()
            )
        return tuple(found)

    @cached_property
    def callers_by_provider(self) -> Mapping[str, tuple[str, ...]]:
        """Provider system code → the systems that call it or consume its entries, sorted (absent: none)."""
        found: dict[str, set[str]] = {}
        for call in self.calls:
            found.setdefault(call.provider, set()).add(call.caller)
        return {code: tuple(sorted(callers)) for code, callers in found.items()}

    # -- the intranet and private networks --------------------------------------------------------------
    @cached_property
    def intranet_zones(self) -> tuple[Zone, ...]:
        intranet = self.network.intranet
        return intranet.zones if intranet is not None else ()

    @cached_property
    def intranet_zone_by_code(self) -> Mapping[str, Zone]:
        return {z.code: z for z in self.intranet_zones}

    @cached_property
    def intranet_zone_of_department(self) -> Mapping[str, Zone]:
        return {z.department: z for z in self.intranet_zones if z.department is not None}

    @cached_property
    def network_of_zone(self) -> Mapping[str, GovNetwork]:
        """Zone code → the network it belongs to (zone codes are unique across both)."""
        found = {z.code: GovNetwork.EXTRANET for z in self.network.zones}
        found.update({z.code: GovNetwork.INTRANET for z in self.intranet_zones})
        return found

    def any_zone(self, code: str) -> Zone | None:
        """The zone ``code`` of either network."""
        return self.zone_by_code.get(code) or self.intranet_zone_by_code.get(code)

    def intranet_zone_of_system(self, system: System) -> Zone | None:
        """Where a classified system sits on the intranet: its ``intranet_zone``, else its department's zone."""
        if system.intranet_zone is not None:
            return self.intranet_zone_by_code.get(system.intranet_zone)
        return self.intranet_zone_of_department.get(system.department)

    def network_of_host(self, host: Host) -> GovNetwork | None:
        """The network a host is on (None when its zones are unknown); a checked host is on exactly one."""
        known = self.network_of_zone
        networks = {known[z] for z in (host.zone, *(a.zone for a in host.addresses)) if z in known}
        return networks.pop() if len(networks) == 1 else None

    @cached_property
    def private_network_by_code(self) -> Mapping[str, PrivateNetwork]:
        return {p.code: p for p in self.private_networks}

    @cached_property
    def private_network_of_system(self) -> Mapping[str, PrivateNetwork]:
        return {code: p for p in self.private_networks for code in p.systems}

    @cached_property
    def private_networks_of_department(self) -> Mapping[str, tuple[PrivateNetwork, ...]]:
        grouped: dict[str, list[PrivateNetwork]] = {}
        for private in self.private_networks:
            grouped.setdefault(private.department, []).append(private)
        return {code: tuple(items) for code, items in grouped.items()}


_INVENTORY_LOOKUPS = tuple(name for name, value in vars(Inventory).items() if isinstance(value, cached_property))


# ---------------------------------------------------------------------------------------------------------
# Finding the zone of an address


class ZoneOfAddress:
    """The zone whose ranges hold an address, by one dict lookup per distinct prefix length.

    A province has thousands of zones; scanning them for every database address would cost millions of
    containment tests, so the ranges are indexed by (prefix length, network) once.
    """

    def __init__(self, zones: Iterator[Zone] | tuple[Zone, ...]) -> None:
        self._by_network: dict[tuple[int, ipaddress.IPv4Network], Zone] = {}
        for zone in zones:
            for network in zone.ranges:
                self._by_network.setdefault((network.prefixlen, network), zone)
        self._lengths = sorted({length for length, _ in self._by_network}, reverse=True)

    def __call__(self, address: ipaddress.IPv4Address) -> Zone | None:
        for length in self._lengths:
            found = self._by_network.get((length, ipaddress.IPv4Network((address, length), strict=False)))
            if found is not None:
                return found
        return None
