"""A realistic fictional city (or province), generated deterministically from a seed. Pure.

Used for the bundled ``inventory/``, for tests and for benchmarks. Besides ordinary systems it plants what
the assessment must find: zombies (one per criterion of the programme), duplicates and shadow systems
(within and across departments), look-alikes that are NOT duplicates (similar words, different function),
and systems that are not cloud-ready for each reason. :class:`ExampleCity.planted` lists them so tests can
check the assessment against the truth without that truth being written into the census.

Each function holds its own data items in the catalogue besides its department's vocabulary (a facet such
as X统计分析 holds its own), and a duplicate holds its original's. The truth of duplicates
(:meth:`ExampleCity.duplicate_truth`) is the planted pairs plus the pairs the generator makes by construction
(the same function with the same data, in one department or in departments of different lines). Harder
negatives (``lookalike_hard``: the same name and wording of the function around a different object, with
different data) are planted after every other case and draw no random number, so every other system keeps
its code and facts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import ipaddress
import random
from collections.abc import Mapping, Sequence
from typing import Final

from govcloud.census.core import codes
from govcloud.census.core.personal_data import personal_items
from govcloud.core import model
from govcloud.core.settings import DEFAULT_SETTINGS

CENSUS_DATE = dt.date(2026, 6, 30)

# (code, name, domain word, functions the department's systems cover, data items it holds)
_BUREAUS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "FGW",
        "发展和改革委员会",
        "发展改革",
        ("项目审批", "价格监测", "信用信息归集", "重大项目调度"),
        ("项目名称", "项目代码", "投资金额", "审批文号"),
    ),
    (
        "JYJ",
        "教育局",
        "教育",
        ("学籍管理", "招生报名", "教师资格管理", "校园安全监控"),
        ("学生姓名", "学籍号", "学校名称", "入学年份"),
    ),
    (
        "KJJ",
        "科学技术局",
        "科技",
        ("科技项目管理", "高新技术企业认定", "专家库管理"),
        ("项目编号", "企业名称", "专家姓名", "研究领域"),
    ),
    (
        "GXJ",
        "工业和信息化局",
        "工业信息化",
        ("企业运行监测", "节能监察", "无线电管理"),
        ("企业名称", "统一社会信用代码", "能耗总量", "频率许可证号"),
    ),
    (
        "GAJ",
        "公安局",
        "公安",
        ("人口信息管理", "出入境证件办理", "交通违法处理", "治安案件管理"),
        ("公民身份号码", "姓名", "户籍地址", "车牌号码"),
    ),
    (
        "MZJ",
        "民政局",
        "民政",
        ("社会救助审批", "婚姻登记", "养老服务补贴", "社会组织登记", "殡葬服务管理"),
        ("救助对象姓名", "公民身份号码", "救助金额", "婚姻登记日期"),
    ),
    (
        "SFJ",
        "司法局",
        "司法",
        ("法律援助申请", "人民调解管理", "社区矫正监管"),
        ("案件编号", "申请人姓名", "调解结果", "矫正期限"),
    ),
    (
        "CZJ",
        "财政局",
        "财政",
        ("预算编制", "国库集中支付", "政府采购管理", "非税收入收缴"),
        ("预算单位", "支付金额", "采购项目编号", "缴款书编号"),
    ),
    (
        "RSJ",
        "人力资源和社会保障局",
        "人力社保",
        ("社会保险参保登记", "就业登记", "职业技能鉴定", "劳动仲裁"),
        ("参保人姓名", "社会保障号码", "缴费基数", "就业状态"),
    ),
    (
        "ZRJ",
        "自然资源和规划局",
        "自然资源",
        ("不动产登记", "土地供应管理", "规划许可审批", "测绘成果管理"),
        ("不动产单元号", "宗地面积", "权利人", "规划许可证号"),
    ),
    (
        "HBJ",
        "生态环境局",
        "生态环境",
        ("环境质量监测", "排污许可管理", "环境执法"),
        ("监测站点", "污染物浓度", "排污单位", "许可证编号"),
    ),
    (
        "ZJJ",
        "住房和城乡建设局",
        "住房建设",
        ("建筑工程施工许可", "住房公积金管理", "物业管理", "房屋交易备案"),
        ("工程名称", "施工许可证号", "房屋坐落", "合同备案号"),
    ),
    (
        "JTJ",
        "交通运输局",
        "交通运输",
        ("道路运输许可", "公交运营监管", "出租汽车管理"),
        ("车辆号牌", "运输证号", "线路编号", "驾驶员姓名"),
    ),
    (
        "SLJ",
        "水务局",
        "水务",
        ("水资源取水许可", "防汛指挥调度", "河长制管理"),
        ("取水单位", "取水量", "河道名称", "水位"),
    ),
    (
        "NYJ",
        "农业农村局",
        "农业农村",
        ("农业补贴发放", "动物检疫管理", "农村土地承包管理"),
        ("农户姓名", "补贴金额", "承包地面积", "检疫证号"),
    ),
    (
        "SWJ",
        "商务局",
        "商务",
        ("外贸企业备案", "商贸流通监测", "单用途预付卡管理"),
        ("企业名称", "备案编号", "销售额", "发卡数量"),
    ),
    (
        "WLJ",
        "文化广电旅游局",
        "文化旅游",
        ("文化市场执法", "旅游投诉处理", "公共文化服务"),
        ("场所名称", "投诉编号", "活动名称", "游客数量"),
    ),
    (
        "WJW",
        "卫生健康委员会",
        "卫生健康",
        ("电子健康档案", "出生医学证明", "医疗机构监管", "传染病报告"),
        ("患者姓名", "公民身份号码", "诊断结果", "医疗机构代码"),
    ),
    (
        "TYJ",
        "退役军人事务局",
        "退役军人",
        ("优抚对象管理", "退役安置"),
        ("退役军人姓名", "服役年限", "优抚等级", "安置单位"),
    ),
    (
        "YJJ",
        "应急管理局",
        "应急管理",
        ("安全生产监管", "应急预案管理", "危险化学品监管"),
        ("企业名称", "隐患数量", "预案编号", "危化品名称"),
    ),
    ("SJJ", "审计局", "审计", ("审计项目管理", "审计整改跟踪"), ("审计项目", "被审计单位", "问题金额", "整改状态")),
    (
        "GZW",
        "国有资产监督管理委员会",
        "国资",
        ("国有资产产权登记", "企业经营监测"),
        ("企业名称", "资产总额", "产权登记号", "利润总额"),
    ),
    (
        "SCJ",
        "市场监督管理局",
        "市场监管",
        ("企业登记注册", "食品安全抽检", "特种设备监管", "消费者投诉"),
        ("企业名称", "统一社会信用代码", "抽检结果", "设备编号"),
    ),
    ("TJJ", "统计局", "统计", ("统计数据采集", "经济普查"), ("调查对象", "指标名称", "指标值", "统计期")),
    (
        "YBJ",
        "医疗保障局",
        "医疗保障",
        ("医保结算", "医保基金监管", "药品招采"),
        ("参保人姓名", "结算金额", "药品编码", "定点机构"),
    ),
    ("XFJ", "信访局", "信访", ("信访事项办理", "网上信访"), ("信访人姓名", "信访事项", "办理结果", "受理日期")),
    (
        "ZWJ",
        "政务服务数据管理局",
        "政务服务",
        ("一网通办", "电子证照", "12345热线", "统一身份认证"),
        ("办件编号", "证照编号", "工单编号", "用户标识"),
    ),
    (
        "CGJ",
        "城市管理行政执法局",
        "城市管理",
        ("数字城管", "违法建设治理", "户外广告审批"),
        ("案件编号", "事件位置", "处置结果", "广告位编号"),
    ),
    ("LYJ", "林业局", "林业", ("林木采伐许可", "森林防火监测"), ("采伐证号", "林地面积", "火点位置", "监测时间")),
    ("SWU", "税务局", "税务", ("税收征管", "发票管理"), ("纳税人识别号", "税额", "发票代码", "申报期")),
    ("DAJ", "档案局", "档案", ("档案数字化管理", "档案利用服务"), ("档案号", "题名", "保管期限", "全宗号")),
    ("MJW", "民族宗教事务委员会", "民族宗教", ("宗教活动场所管理",), ("场所名称", "登记证号", "负责人", "地址")),
    ("QXJ", "气象局", "气象", ("气象预警发布", "气象观测数据管理"), ("站点编号", "气温", "降水量", "预警级别")),
    ("RFB", "人民防空办公室", "人防", ("人防工程管理", "防空警报管理"), ("工程编号", "面积", "警报器编号", "位置")),
    ("GLJ", "公路管理局", "公路", ("公路养护管理", "路政许可"), ("路线编号", "路段长度", "养护等级", "许可证号")),
    (
        "JGJ",
        "机关事务管理局",
        "机关事务",
        ("公务用车管理", "公共机构节能"),
        ("车辆号牌", "使用单位", "能耗", "用车日期"),
    ),
    (
        "GZJ",
        "公共资源交易中心",
        "公共资源交易",
        ("工程建设招投标", "政府采购交易"),
        ("项目编号", "中标单位", "中标金额", "开标时间"),
    ),
    (
        "DSJ",
        "大数据中心",
        "大数据",
        ("数据共享交换平台", "政务数据目录管理", "数据质量监测"),
        ("资源代码", "接口名称", "调用次数", "数据项"),
    ),
    ("GXS", "供销合作社", "供销", ("农资供应管理",), ("农资名称", "供应数量", "网点名称", "价格")),
    ("TYU", "体育局", "体育", ("体育场馆预约", "社会体育指导员管理"), ("场馆名称", "预约时间", "指导员姓名", "等级")),
    ("ZGH", "总工会", "工会", ("困难职工帮扶", "工会会员管理"), ("职工姓名", "帮扶金额", "会员编号", "所属单位")),
    ("FLH", "妇女联合会", "妇联", ("妇女儿童权益维护",), ("求助人", "事项类型", "办理结果", "受理日期")),
    (
        "GQT",
        "共青团市委",
        "共青团",
        ("志愿者服务管理", "青年就业创业服务"),
        ("志愿者编号", "服务时长", "项目名称", "青年姓名"),
    ),
    (
        "CLB",
        "残疾人联合会",
        "残联",
        ("残疾人证管理", "残疾人就业服务"),
        ("残疾人证号", "残疾类别", "残疾等级", "就业状态"),
    ),
    (
        "HSH",
        "红十字会",
        "红十字",
        ("捐赠物资管理", "造血干细胞志愿者管理"),
        ("捐赠人", "物资名称", "数量", "志愿者编号"),
    ),
)
_ENTRY_KINDS = ("基础", "业务", "统计", "台账", "名录")
_ENTRY_SUFFIXES = ("", "表", "库", "目录")
_SUFFIXES = ("管理系统", "服务平台", "信息系统", "监管平台", "业务系统")
_FACETS = ("统计分析", "移动办公", "数据上报", "档案管理", "绩效考核", "视频会商")
_FACET_ITEMS = {
    "": ("事项编号", "办理结果"),
    "统计分析": ("统计指标", "统计期别"),
    "移动办公": ("待办事项", "移动终端标识"),
    "数据上报": ("上报批次", "上报单位"),
    "档案管理": ("档案号", "归档日期"),
    "绩效考核": ("考核指标", "考核得分"),
    "视频会商": ("会商编号", "会商纪要"),
}
"""The data items a function holds besides its department's vocabulary: a facet (X统计分析) holds its own."""


def _function_items(base: str, facet: str) -> tuple[str, ...]:
    return tuple(f"{base}{item}" for item in _FACET_ITEMS[facet])


# (name, shared wording of the function, then per side: the object it works on and the data items it holds)
_HARD_NEGATIVES: tuple[tuple[str, str, tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]], ...] = (
    (
        "项目管理信息系统",
        "负责{obj}的申报受理、评审立项、过程检查和验收归档，提供在线申报、审批流转和结果公示",
        ("科技计划项目", ("科技计划项目编号", "立项经费", "验收结论")),
        ("政府投资建设项目", ("建设项目代码", "概算金额", "竣工决算金额")),
    ),
    (
        "档案管理信息系统",
        "负责{obj}的接收登记、整理著录、借阅利用和移交销毁，提供档案检索、借阅审批和统计报表",
        ("机关干部人事档案", ("干部姓名", "人事档案编号", "借阅记录")),
        ("不动产登记档案", ("不动产单元号", "登记档案卷号", "登记类型")),
    ),
    (
        "投诉举报处理系统",
        "负责{obj}投诉举报的受理登记、分派转办、调查核实和结果反馈，提供办理时限预警和满意度回访",
        ("消费者对商品和服务质量", ("投诉人姓名", "被投诉经营者", "调解结果")),
        ("环境污染", ("举报点位", "污染类型", "核查结论")),
    ),
    (
        "监测预警平台",
        "负责{obj}的实时监测、阈值告警、分级预警发布和处置跟踪，提供监测大屏和预警统计分析",
        ("森林火点卫星遥感", ("火点经纬度", "火险等级", "卫星过境时间")),
        ("企业用电用能经济运行", ("用电量", "行业分类", "用能预警指标")),
    ),
    (
        "证照管理系统",
        "负责{obj}的申请受理、审核制发、变更延续和注销挂失，提供证照查询核验和到期提醒",
        ("特种设备使用登记证", ("使用登记证号", "设备类别", "设备使用单位")),
        ("公务员工作证和出入证", ("工作证号", "持证人", "制证日期")),
    ),
)
"""Same name, same wording of the function, a different object and different data: not duplicates."""

_FUNCTION_TEMPLATES = (
    "用于{dom}部门{fn}业务的受理、审核、办结和统计分析，支撑{fn}全流程网上办理",
    "实现{fn}相关数据的采集、录入、查询和报表输出，服务{dom}领域日常管理",
    "支撑{dom}条线{fn}工作，提供在线申报、审批流转、结果公示和数据上报",
)
_DISTRICTS = ("", "东城区", "西城区", "南湖区", "北山区", "高新区", "开发区", "江北区", "江南区", "临港区", "滨海新区")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "志强",
)
_OS = ("CentOS 7", "Red Hat Enterprise Linux 7", "Windows Server 2012", "Kylin V10", "UOS 20", "Ubuntu 20.04")
_DATABASES = ("Oracle 11g", "MySQL 5.7", "SQL Server 2012", "PostgreSQL 12", "DM8", "KingbaseES V8")
_LEGAL_BASES = (
    "《中华人民共和国个人信息保护法》第二十八条（敏感个人信息）",
    "《中华人民共和国保守国家秘密法》第十三条",
    "《中华人民共和国反间谍法》第十六条",
)
_SHARING_METHODS = ("接口服务", "库表交换", "文件下载")
_CONDITIONS = ("仅限办理相关行政审批事项时使用", "仅向承担监管职责的部门提供", "需经提供方审核同意后按需调用")


DUPLICATE_KINDS = ("duplicate_within", "duplicate_across", "duplicate_same_function")
"""The planted kinds whose pairs are duplicates: the truth the duplicate finder is measured against."""


@dataclasses.dataclass(frozen=True)
class ExampleCity:
    inventory: model.Inventory
    planted: dict[str, tuple[str, ...]]

    def duplicate_truth(self) -> frozenset[tuple[str, str]]:
        """Every pair the generator made duplicates (planted, and by construction), each as a sorted pair."""
        pairs = set()
        for kind in DUPLICATE_KINDS:
            for planted in self.planted[kind]:
                a, b = sorted(planted.split("~"))
                pairs.add((a, b))
        return frozenset(pairs)


# --- workload facts: pinned images, probes, configuration, database decisions ------------------------------

_DATABASE_FACTS: Final[Mapping[str, tuple[str, int, bool]]] = {
    # census name → (image repository and tag, port, whether the programme's images run it on the cluster)
    "Oracle 11g": ("oracle/database:11.2.0.4", 1521, False),
    "MySQL 5.7": ("mysql:8.0.36", 3306, True),
    "SQL Server 2012": ("mssql/server:2012", 1433, False),
    "PostgreSQL 12": ("postgresql:12.18", 5432, True),
    "DM8": ("dameng/dm8:8.1.3", 5236, True),
    "KingbaseES V8": ("kingbase/kingbasees:v8r6", 54321, True),
}
"""Licensed engines (Oracle, SQL Server) stay on their hosts in the example; the others move."""
_REGISTRY: Final = "registry.egov.internal"


def _digest(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def _hashed(seed: str, modulo: int) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % modulo


def _with_workload_facts(system: model.System, zone: model.Zone | None) -> model.System:
    """The system with a pinned image, a probe, configuration and a decision per database (when cloud-bound)."""
    cloud = system.cloud
    if cloud is None or system.classified:
        return system
    name = system.code.lower()
    version = f"1.{_hashed(system.code + '/minor', 9)}.{_hashed(system.code + '/patch', 20)}"
    image = f"{_REGISTRY}/{system.department.lower()}/{name}:{version}@{_digest(system.code + '/' + version)}"
    probe = model.Probe(path="/healthz") if system.ports and system.ports[0].name in ("http", "https") else None
    decisions: list[model.DatabasePlacement] = []
    for index, database in enumerate(system.databases):
        repository, port, movable = _DATABASE_FACTS.get(database, ("postgresql:12.18", 5432, True))
        stays = not movable or zone is None or _hashed(f"{system.code}/{database}/stays", 4) == 0
        if stays and zone is not None:
            network = zone.ranges[0]
            address = network.network_address + 200 + _hashed(system.code, 50) + index
            decisions.append(
                model.DatabasePlacement(
                    name=database, engine=database, decision=model.DatabaseDecision.STAYS, port=port, address=address
                )
            )
        else:
            image_ref = f"{_REGISTRY}/platform/{repository}@{_digest(repository)}"
            size = max(10.0, system.sizing.storage_gib or 50.0)
            decisions.append(
                model.DatabasePlacement(
                    name=database,
                    engine=database,
                    decision=model.DatabaseDecision.MOVED,
                    port=port,
                    storage_gib=size,
                    image=image_ref,
                )
            )
    secrets = (f"{name}-db-credentials",) if decisions else ()
    updated = cloud.model_copy(
        update={
            "image": image,
            "probe": probe,
            "config": {"TZ": "Asia/Shanghai", "LANG": "zh_CN.UTF-8"},
            "secrets": secrets,
            "databases": tuple(decisions),
        }
    )
    return system.model_copy(update={"cloud": updated})


_SHARING_SCOPES = ("承担相关监管职责的本市政务部门", "依法办理相关事项的本市政务部门", "经提供方确认的本市政务部门")
_SHARING_PURPOSES = ("行政审批事项办理中的核验", "监管执法中的比对核查", "统计分析与决策支持")


def _sharing_office(department: model.Department) -> model.SharingOffice:
    """The department's 政务数据共享工作机构, its head named from a hash of the code (no draw from the rng)."""
    head = (
        _SURNAMES[_hashed(department.code + "/head", len(_SURNAMES))]
        + _GIVEN[_hashed(department.code + "/given", len(_GIVEN))]
    )
    return model.SharingOffice(name=f"{department.name}政务数据共享工作组", head=head)


def _with_sharing_facts(entry: model.CatalogueEntry, office: model.SharingOffice) -> model.CatalogueEntry:
    """The entry with its 数据分类分级, its assessment before publishing and (有条件共享) 共享范围 and 使用用途.

    Derived from the entry itself and hashes of its code: personal information that is not shared is 重要
    data; everything else 一般. A published entry was assessed 3-12 days before, approved by the head of its
    department's 工作机构.
    """
    changes: dict[str, object] = {}
    if entry.sharing.type is model.SharingType.NOT_SHARED and personal_items(entry, DEFAULT_SETTINGS):
        changes["grade"] = model.DataGrade.IMPORTANT
    else:
        changes["grade"] = model.DataGrade.GENERAL
    if entry.publish_date is not None:
        days = 3 + _hashed(entry.code + "/assessed", 10)
        changes["assessment"] = model.PublicationAssessment(
            date=entry.publish_date - dt.timedelta(days=days), approver=office.head
        )
    if entry.sharing.type is model.SharingType.CONDITIONAL:
        changes["sharing"] = entry.sharing.model_copy(
            update={
                "scope": _SHARING_SCOPES[_hashed(entry.code + "/scope", len(_SHARING_SCOPES))],
                "purpose": _SHARING_PURPOSES[_hashed(entry.code + "/purpose", len(_SHARING_PURPOSES))],
            }
        )
    return entry.model_copy(update=changes)


def generate_city(*, systems: int = 320, seed: int = 7, entries_per_system: int | None = None) -> ExampleCity:
    """Generate a city with ``systems`` systems; see the module docstring for what is planted.

    The 电子政务内网 (its zones and routers), its classified systems (added on top of ``systems``) and the
    departments' 业务专网 lists are drawn from a separate random stream after everything else, so adding them
    left every other system's code and facts as they were.
    """
    gen = _Generator(random.Random(seed), systems, entries_per_system or (5 if systems < 5000 else 10))
    gen.intranet_rng = random.Random(f"govcloud-intranet-{seed}")
    return gen.build()


class _Generator:
    def __init__(self, rng: random.Random, n_systems: int, entries_per_system: int) -> None:
        self.rng = rng
        self.intranet_rng = random.Random(0)
        """Draws for the intranet, classified systems and 业务专网 only (after the city's own draws)."""
        self.n_systems = n_systems
        self.entries_per_system = entries_per_system
        self.own_items: dict[str, tuple[str, ...]] = {}
        """System → the data items of its own function (its entries hold them besides the department's)."""
        self.planted: dict[str, list[str]] = {
            key: []
            for key in (
                "zombie_detached",
                "zombie_replaceable",
                "zombie_idle",
                "zombie_unmaintained",
                "zombie_small_scope",
                "duplicate_within",
                "duplicate_across",
                "lookalike_not_duplicate",
                "not_ready_classified",
                "not_ready_mlps",
                "not_ready_platform",
                "not_ready_hardware",
                "not_ready_licence",
                "not_ready_vendor",
                "override",
                "freeze_window",
                "duplicate_same_function",
                "lookalike_hard",
            )
        }

    # -----------------------------------------------------------------------------------------------------
    def build(self) -> ExampleCity:
        departments, dept_info = self._departments()
        zones = self._zones(departments)
        systems = self._systems(departments, dept_info)
        catalogue, systems = self._catalogue(departments, dept_info, systems)
        # Workload facts (images, probes, configuration, database decisions) are derived from hashes of the
        # codes, not drawn from rng: adding them left every other drawn fact of the city as it was.
        dedicated = {z.department: z for z in zones if z.department is not None}
        systems = [_with_workload_facts(s, dedicated.get(s.department)) for s in systems]
        departments = [
            d.model_copy(
                update={"image_pull_secret": f"{d.code.lower()}-registry", "sharing_office": _sharing_office(d)}
            )
            for d in departments
        ]
        # The 条例's catalogue fields (Art. 11, 13, 15): derived too, so the city's drawn facts stay as they were.
        offices = {d.code: d.sharing_office for d in departments if d.sharing_office is not None}
        catalogue = [_with_sharing_facts(e, offices[e.provider]) for e in catalogue]
        network = model.Network(
            zones=tuple(zones),
            management=model.Management(ranges=(ipaddress.IPv4Network("10.63.0.0/24"),)),
            platform=model.Platform(
                exchange=model.PlatformService(
                    name="数据共享交换平台",
                    zone="PUB",
                    address=ipaddress.IPv4Address("10.64.0.10"),
                    ports=(model.ServicePort(name="https", port=443),),
                    image=f"{_REGISTRY}/platform/exchange:3.2.0@{_digest('platform/exchange:3.2.0')}",
                ),
                gateway=model.PlatformService(
                    name="业务协同网关",
                    zone="PUB",
                    address=ipaddress.IPv4Address("10.64.0.20"),
                    ports=(model.ServicePort(name="https", port=443),),
                ),
                ingress=model.PlatformService(
                    name="互联网接入区入口",
                    zone="INET",
                    address=ipaddress.IPv4Address("10.64.16.10"),
                    ports=(model.ServicePort(name="http", port=80), model.ServicePort(name="https", port=443)),
                ),
            ),
        )
        city = model.CityFile(name="临江市", division_code="330100", census_date=CENSUS_DATE)
        hosts = self._hosts(departments)
        # Everything below draws from intranet_rng only, so the city above is what it was before the intranet.
        intranet = _Intranet(self.intranet_rng, departments, dept_info, systems)
        network = network.model_copy(update={"intranet": intranet.network()})
        inventory = model.Inventory(
            city=city,
            network=network,
            departments=tuple(departments),
            systems=tuple(systems) + intranet.classified,
            catalogue=tuple(catalogue),
            hosts=tuple(hosts) + intranet.routers(),
            private_networks=intranet.private_networks(),
        )
        self.planted["classified_on_private_network"] = [s.code for s in intranet.classified]
        return ExampleCity(inventory=inventory, planted={k: tuple(v) for k, v in self.planted.items()})

    # -----------------------------------------------------------------------------------------------------
    def _departments(self) -> tuple[list[model.Department], dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]]:
        wanted = max(len(_BUREAUS), self.n_systems // 10)
        departments: list[model.Department] = []
        info: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {}
        serial = 0
        for district_index, district in enumerate(_DISTRICTS * (1 + wanted // (len(_BUREAUS) * len(_DISTRICTS)))):
            for code, name, domain, functions, items in _BUREAUS:
                if len(departments) >= wanted:
                    break
                round_ = district_index // len(_DISTRICTS)
                dept_code = (
                    code
                    if district_index == 0
                    else f"{code}{district_index:02d}"
                    if round_ == 0
                    else f"{code}{district_index:03d}"
                )
                prefix = "临江市" if not district else f"临江市{district}"
                if round_:
                    prefix += f"第{round_ + 1}片区"
                serial += 1
                org_body = f"{7000_0000 + serial * 37:08d}"
                uscc = codes.make_uscc("1", "1", "330100", org_body)
                parent = None if district_index == 0 else code
                windows: tuple[model.FreezeWindow, ...] = ()
                if code == "CZJ" and district_index == 0:
                    windows = (
                        model.FreezeWindow(start=dt.date(2026, 12, 1), end=dt.date(2027, 1, 31), reason="年终决算"),
                    )
                    self.planted["freeze_window"].append(dept_code)
                departments.append(
                    model.Department(
                        code=dept_code,
                        name=prefix + name,
                        uscc=uscc,
                        parent=parent,
                        admin_group=f"govcloud-{dept_code.lower()}-admins",
                        freeze_windows=windows,
                    )
                )
                info[dept_code] = (domain, functions, items)
            if len(departments) >= wanted:
                break
        return departments, info

    def _zones(self, departments: Sequence[model.Department]) -> list[model.Zone]:
        zones = [
            model.Zone(
                code="PUB",
                name="公用网络区",
                kind=model.ZoneKind.PUBLIC,
                ranges=(ipaddress.IPv4Network("10.64.0.0/20"),),
            ),
            model.Zone(
                code="INET",
                name="互联网接入区",
                kind=model.ZoneKind.INTERNET_ACCESS,
                ranges=(ipaddress.IPv4Network("10.64.16.0/20"),),
            ),
        ]
        base = int(ipaddress.IPv4Address("10.80.0.0"))
        for i, dept in enumerate(departments):
            net = ipaddress.IPv4Network((base + i * 256, 24))
            zones.append(
                model.Zone(
                    code=f"DZ-{dept.code}",
                    name=f"{dept.name}专用网络区",
                    kind=model.ZoneKind.DEDICATED,
                    department=dept.code,
                    ranges=(net,),
                )
            )
        return zones

    def _hosts(self, departments: Sequence[model.Department]) -> list[model.Host]:
        def addr(zone: str, ip: str, interface: str | None = None) -> model.HostAddress:
            return model.HostAddress(zone=zone, address=ipaddress.IPv4Interface(ip), interface=interface)

        base = int(ipaddress.IPv4Address("10.80.0.0"))
        router_addresses = [addr("PUB", "10.64.0.1/20", "pub0"), addr("INET", "10.64.16.1/20", "inet0")]
        # The bundled city's core router terminates every department zone; a province splits them per router.
        per_router = 64
        routers: list[model.Host] = []
        for r in range(0, max(1, len(departments)), per_router):
            chunk = departments[r : r + per_router]
            addresses = list(router_addresses) if r == 0 else [addr("PUB", f"10.64.0.{2 + r // per_router}/20", "pub0")]
            for i, dept in enumerate(chunk, start=r):
                ip = ipaddress.IPv4Address(base + i * 256 + 1)
                addresses.append(addr(f"DZ-{dept.code}", f"{ip}/24", f"dz{i}"))
            routers.append(
                model.Host(
                    name=f"fw-core-{r // per_router + 1:02d}",
                    role=model.HostRole.ZONE_ROUTER,
                    zone="PUB",
                    addresses=tuple(addresses),
                )
            )
        hosts = routers
        for i in range(3):
            hosts.append(
                model.Host(
                    name=f"k8s-cp-{i + 1:02d}",
                    role=model.HostRole.K8S_CONTROL,
                    zone="PUB",
                    addresses=(addr("PUB", f"10.64.1.{11 + i}/20"),),
                )
            )
        for i in range(6):
            hosts.append(
                model.Host(
                    name=f"k8s-node-{i + 1:02d}",
                    role=model.HostRole.K8S_NODE,
                    zone="PUB",
                    node_pool="general",
                    addresses=(addr("PUB", f"10.64.2.{11 + i}/20"),),
                )
            )
        for i in range(3):
            hosts.append(
                model.Host(
                    name=f"k8s-mlps3-{i + 1:02d}",
                    role=model.HostRole.K8S_NODE,
                    zone="PUB",
                    node_pool="mlps3",
                    mlps_level=3,
                    addresses=(addr("PUB", f"10.64.3.{11 + i}/20"),),
                )
            )
        return hosts

    # -----------------------------------------------------------------------------------------------------
    def _person(self) -> str:
        return self.rng.choice(_SURNAMES) + self.rng.choice(_GIVEN)

    def _date_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def _systems(
        self, departments: Sequence[model.Department], info: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]
    ) -> list[model.System]:
        rng = self.rng
        systems: list[model.System] = []
        counters: dict[str, int] = {}
        for n in range(self.n_systems):
            dept = departments[n % len(departments)] if n < len(departments) else rng.choice(departments)
            domain, functions, _ = info[dept.code]
            counters[dept.code] = counters.get(dept.code, 0) + 1
            code = f"{dept.code}-{counters[dept.code]:03d}"
            fn = functions[(counters[dept.code] - 1) % len(functions)]
            base = fn
            if counters[dept.code] > len(functions):
                fn = f"{fn}{rng.choice(_FACETS)}"
            self.own_items[code] = _function_items(base, fn[len(base) :])
            systems.append(self._ordinary_system(code, dept, domain, fn))
        self._plant(systems, departments, info)
        return systems

    def _ordinary_system(self, code: str, dept: model.Department, domain: str, fn: str) -> model.System:
        rng = self.rng
        scope = rng.choices(list(model.Scope), weights=(45, 35, 20))[0]
        go_live = self._date_between(dt.date(2008, 1, 1), dt.date(2024, 6, 30))
        approval = go_live - dt.timedelta(days=rng.randrange(90, 540))
        last_update = self._date_between(max(go_live, dt.date(2024, 1, 1)), CENSUS_DATE)
        mlps = 3 if scope is not model.Scope.INTERNAL and rng.random() < 0.6 else rng.choice((2, 2, 2, 3, None))
        cpu = float(rng.choice((1, 2, 2, 4, 4, 8, 16)))
        public = scope is model.Scope.PUBLIC
        ports: tuple[model.ServicePort, ...] = (model.ServicePort(name="http", port=8080),)
        if rng.random() < 0.2:
            ports = (*ports, model.ServicePort(name="grpc", port=9090))
        mau = {
            model.Scope.INTERNAL: rng.randrange(60, 800),
            model.Scope.CROSS_DEPARTMENT: rng.randrange(300, 8000),
            model.Scope.PUBLIC: rng.randrange(5000, 600000),
        }[scope]
        owner = model.Contact(name=self._person(), role="系统负责人", phone=f"0571-8{rng.randrange(1000000, 9999999)}")
        return model.System(
            code=code,
            name=f"{domain}{fn}{rng.choice(_SUFFIXES)}",
            department=dept.code,
            function=rng.choice(_FUNCTION_TEMPLATES).format(dom=domain, fn=fn),
            scope=scope,
            frequency=rng.choices(
                (model.Frequency.DAILY, model.Frequency.WEEKLY, model.Frequency.MONTHLY), weights=(70, 20, 10)
            )[0],
            approving_body=rng.choice(("市发展和改革委员会", "市大数据中心", "市财政局")),
            approval_date=approval,
            construction_mode=rng.choices(list(model.ConstructionMode), weights=(70, 15, 15))[0],
            build_funding=rng.choice(("市级财政资金", "中央补助资金", "部门自有资金")),
            om_funding=rng.choice(("市级财政资金", "部门预算")),
            carrying_network=rng.choices(
                (
                    model.CarryingNetwork.EXTRANET,
                    model.CarryingNetwork.PRIVATE,
                    model.CarryingNetwork.INTERNET,
                    model.CarryingNetwork.LAN,
                ),
                weights=(55, 20, 15, 10),
            )[0],
            mlps_level=mlps,
            deployment=rng.choices(list(model.Deployment), weights=(30, 60, 10))[0],
            os=rng.choice(_OS),
            cpu_arch=model.CpuArch.X86,
            databases=(rng.choice(_DATABASES),),
            go_live=go_live,
            last_update=last_update,
            avg_cpu_percent=round(rng.uniform(12, 75), 1),
            monthly_active_users=mau,
            sizing=model.Sizing(
                cpu=cpu,
                memory_gib=cpu * rng.choice((2, 4)),
                storage_gib=float(rng.choice((50, 100, 200, 500, 1000))),
                replicas=2 if public else 1,
            ),
            ports=ports,
            owner=owner,
            contacts=(
                model.Contact(name=self._person(), role="运维联系人", phone=f"138{rng.randrange(10000000, 99999999)}"),
            ),
            cloud=model.CloudPlacement(
                zone="INET" if public else f"DZ-{dept.code}",
                public_hostnames=(f"{code.lower()}.linjiang.gov.cn",) if public else (),
                stateful=rng.random() < 0.25,
            ),
        )

    def _plant(
        self,
        systems: list[model.System],
        departments: Sequence[model.Department],
        info: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]],
    ) -> None:
        """Replace a share of the ordinary systems with planted cases, spread over departments."""
        rng = self.rng
        n = len(systems)
        slots = list(range(len(departments), n)) if n > len(departments) * 2 else list(range(n))
        rng.shuffle(slots)
        per_kind = max(1, n // 100)  # about 1% per planted kind
        used: set[int] = set()

        def take() -> int:
            while slots:
                index = slots.pop()
                if index not in used:
                    used.add(index)
                    return index
            raise ValueError("too few systems to plant the example's cases")

        def set_fields(index: int, **changes: object) -> model.System:
            data = systems[index].model_dump()
            data.update(changes)
            systems[index] = model.System.model_validate(data)
            return systems[index]

        stale = {
            "last_update": dt.date(2021, 9, 1),
            "go_live": dt.date(2012, 3, 1),
            "approval_date": dt.date(2011, 6, 1),
        }
        for _ in range(per_kind):
            s = set_fields(
                take(),
                frequency=model.Frequency.YEARLY,
                monthly_active_users=rng.randrange(3, 25),
                scope=model.Scope.CROSS_DEPARTMENT,
            )
            self.planted["zombie_detached"].append(s.code)
            s = set_fields(take(), avg_cpu_percent=round(rng.uniform(0.3, 3.5), 1))
            self.planted["zombie_idle"].append(s.code)
            s = set_fields(take(), vendor_support=model.VendorSupport.VENDOR_GONE, **stale)
            self.planted["zombie_unmaintained"].append(s.code)
            s = set_fields(
                take(),
                scope=model.Scope.INTERNAL,
                frequency=model.Frequency.RARELY,
                monthly_active_users=rng.randrange(5, 40),
            )
            self.planted["zombie_small_scope"].append(s.code)

        # Duplicates: a copy of another system's function, reworded, within the same department and across.
        for i in range(per_kind):
            original_index = take()
            original = systems[original_index]
            within = i % 2 == 0
            candidates = [
                j for j in slots if j not in used and (systems[j].department == original.department) == within
            ]
            if not candidates:
                continue
            dup_index = candidates[-1]
            used.add(dup_index)
            dup = set_fields(
                dup_index,
                name=original.name.replace("系统", "平台") if "系统" in original.name else original.name + "（二期）",
                function=original.function.replace("支撑", "支持").replace("提供", "实现")
                + "，"
                + rng.choice(("面向本单位各处室", "覆盖各区县分支机构")),
                last_update=max(dt.date(2022, 5, 1), systems[dup_index].go_live or dt.date(2022, 5, 1))
                if within
                else systems[dup_index].last_update,
            )
            self.own_items[dup.code] = self.own_items[original.code]  # a duplicate holds the same data
            key = "duplicate_within" if within else "duplicate_across"
            self.planted[key].append(f"{dup.code}~{original.code}")
            if within:
                self.planted["zombie_replaceable"].append(dup.code)

        # Look-alikes: shared vocabulary, different function (the true negative).
        for _ in range(max(1, per_kind // 2)):
            a = set_fields(
                take(), name="车辆管理信息系统", function="公务用车的派车申请、审批、油耗登记和维修保养记录管理"
            )
            b = set_fields(
                take(),
                name="车辆检测信息系统",
                function="机动车安全技术检验机构的检测数据联网上传、尾气排放检测结果监管",
            )
            self.own_items[a.code] = ("派车单号", "车辆油耗", "维修保养记录")
            self.own_items[b.code] = ("检测报告编号", "尾气排放值", "检验机构名称")
            self.planted["lookalike_not_duplicate"].append(f"{a.code}~{b.code}")

        # Not cloud-ready, one reason each.
        for _ in range(max(1, per_kind // 2)):
            s = set_fields(
                take(), classified=True, carrying_network=model.CarryingNetwork.INTRANET, mlps_level=None, cloud=None
            )
            self.planted["not_ready_classified"].append(s.code)
            s = set_fields(take(), mlps_level=4, cloud=None)
            self.planted["not_ready_mlps"].append(s.code)
            s = set_fields(
                take(),
                cpu_arch=model.CpuArch.MINICOMPUTER,
                os="AIX 7.1",
                deployment=model.Deployment.PHYSICAL,
                cloud=None,
            )
            self.planted["not_ready_platform"].append(s.code)
            s = set_fields(take(), special_hardware=("加密卡",), deployment=model.Deployment.PHYSICAL, cloud=None)
            self.planted["not_ready_hardware"].append(s.code)
            s = set_fields(take(), licence_allows_virtualisation=False, cloud=None)
            self.planted["not_ready_licence"].append(s.code)
            s = set_fields(take(), vendor_support=model.VendorSupport.ENDED, cloud=None)
            self.planted["not_ready_vendor"].append(s.code)

        # A lead's decisions: exempt one level-4 system with a reason.
        exempt_code = self.planted["not_ready_mlps"][0]
        exempt_index = next(i for i, s in enumerate(systems) if s.code == exempt_code)
        set_fields(
            exempt_index,
            disposition_override=model.DispositionOverride(
                disposition=model.Disposition.EXEMPT,
                reason="四级系统，待专属资源池建成后再评估",
                decided_by="市大数据中心 迁移组 王磊",
                decided_on=dt.date(2026, 5, 20),
            ),
        )
        self.planted["override"].append(exempt_code)

        # Dependencies: systems call a few others, mostly of "base" providers (公安, 政务服务, 大数据).
        codes_all = [s.code for s in systems]
        hubs = [
            s.code for s in systems if s.code.split("-")[0] in {"GAJ", "ZWJ", "DSJ", "SCJ", "RSJ"} and not s.classified
        ]
        classified = {s.code for s in systems if s.classified}
        for i, s in enumerate(systems):
            if s.classified or rng.random() < 0.35:
                continue
            count = rng.choice((1, 1, 2, 3))
            pool = hubs if hubs and rng.random() < 0.7 else codes_all
            deps = (
                sorted(
                    {
                        c
                        for c in rng.sample(pool, min(count, len(pool)))
                        if c != s.code and not systems[codes_all.index(c)].classified
                    }
                )
                if len(pool) < 2000
                else sorted(
                    {c for c in (rng.choice(pool) for _ in range(count)) if c != s.code and c not in classified}
                )
            )
            if deps:
                set_fields(i, depends_on=tuple(deps))
        # One declared cycle (two systems that call each other), which the planner must report.
        if n >= 10:
            a_i, b_i = take(), take()
            a, b = systems[a_i], systems[b_i]
            set_fields(a_i, depends_on=tuple(sorted({*a.depends_on, b.code})))
            set_fields(b_i, depends_on=tuple(sorted({*b.depends_on, a.code})))
            self.planted.setdefault("cycle", []).append(f"{a.code}~{b.code}")

        # Harder negatives, planted after every other case so that those keep their systems: the same name
        # and the same wording of the function around a different object, holding different data.
        for k in range(max(2, per_kind)):
            name, wording, *sides = _HARD_NEGATIVES[k % len(_HARD_NEGATIVES)]
            try:
                pair = [take(), take()]
            except ValueError:
                break
            planted_codes = []
            for index, (obj, items) in zip(pair, sides, strict=True):
                s = set_fields(index, name=name, function=wording.format(obj=obj))
                self.own_items[s.code] = items
                planted_codes.append(s.code)
            self.planted["lookalike_hard"].append("~".join(planted_codes))

        # Duplicates by construction: systems doing the same function with the same data, in one department
        # (the generator repeats a function and its facet when a department has many systems) or in two
        # departments of different lines (a planted shadow and its original's siblings); counterparts (the
        # same bureau in two districts) run the same function by mandate and are no duplicates.
        planted_pairs = {
            frozenset(p.split("~")) for k in ("duplicate_within", "duplicate_across") for p in self.planted[k]
        }
        line = {d.code: d.parent or d.code for d in departments}
        by_function: dict[tuple[str, ...], list[model.System]] = {}
        for s in systems:
            if not s.classified:  # a classified system lists no catalogue entries: no data to compare
                by_function.setdefault(self.own_items[s.code], []).append(s)
        for members in by_function.values():
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    if a.department != b.department and line[a.department] == line[b.department]:
                        continue
                    if frozenset((a.code, b.code)) not in planted_pairs:
                        first, second = sorted((a.code, b.code))
                        self.planted["duplicate_same_function"].append(f"{first}~{second}")

    # -----------------------------------------------------------------------------------------------------
    def _catalogue(
        self,
        departments: Sequence[model.Department],
        info: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]],
        systems: list[model.System],
    ) -> tuple[list[model.CatalogueEntry], list[model.System]]:
        rng = self.rng
        entries: list[model.CatalogueEntry] = []
        by_system: dict[str, list[str]] = {}
        sequence = 0
        dept_index = {d.code: i for i, d in enumerate(departments)}
        movable = [s for s in systems if not s.classified]
        # Classified systems list no entries; their share goes to others so totals stay round numbers.
        deficit = len(systems) * self.entries_per_system - len(movable) * self.entries_per_system
        for position, system in enumerate(movable):
            domain, _, items = info[system.department]
            for k in range(self.entries_per_system + (1 if position < deficit else 0)):
                sequence += 1
                category = rng.choices(list(model.ResourceCategory), weights=(20, 25, 55))[0]
                item = 1 + (k % 8)
                mu = dept_index[system.department] % 1000
                code = f"{category.digit}{item:02d}{mu:03d}{k % 100:02d}/{sequence:07d}"
                sharing_type = rng.choices(list(model.SharingType), weights=(55, 35, 10))[0]
                sharing = {
                    model.SharingType.UNCONDITIONAL: model.Sharing(
                        type=sharing_type, conditions="无条件", method=rng.choice(_SHARING_METHODS)
                    ),
                    model.SharingType.CONDITIONAL: model.Sharing(
                        type=sharing_type, conditions=rng.choice(_CONDITIONS), method=rng.choice(_SHARING_METHODS)
                    ),
                    model.SharingType.NOT_SHARED: model.Sharing(
                        type=sharing_type, legal_basis=rng.choice(_LEGAL_BASES)
                    ),
                }[sharing_type]
                chosen = rng.sample(items, rng.randrange(2, len(items) + 1))
                data_items = tuple(
                    model.DataItem(
                        name=name,
                        type=rng.choice(
                            (model.DataItemType.C, model.DataItemType.C, model.DataItemType.N, model.DataItemType.D)
                        ),
                    )
                    for name in chosen
                )
                # The function's own items, after the drawn ones (no draw: the random stream is unchanged).
                data_items += tuple(
                    model.DataItem(name=name, type=model.DataItemType.C)
                    for name in self.own_items.get(system.code, ())
                    if name not in chosen
                )
                is_open = sharing_type is not model.SharingType.NOT_SHARED and rng.random() < 0.2
                entries.append(
                    model.CatalogueEntry(
                        code=code,
                        name=f"{domain}{_ENTRY_KINDS[k % 5]}信息{_ENTRY_SUFFIXES[k % 4]}",
                        category=category,
                        classification_path=(domain, ("业务办理", "监管执法", "统计分析")[k % 3]),
                        provider=system.department,
                        system=system.code,
                        abstract=f"{system.name}产生的{domain}相关数据",
                        format=rng.choice(list(model.ResourceFormat)),
                        data_items=data_items,
                        sharing=sharing,
                        open=model.OpenAttributes(open=is_open, conditions="无" if is_open else None),
                        update_cycle=rng.choice(list(model.UpdateCycle)),
                        publish_date=self._date_between(dt.date(2018, 1, 1), CENSUS_DATE)
                        if rng.random() < 0.8
                        else None,
                    )
                )
                by_system.setdefault(system.code, []).append(code)
        # Consumers: systems use some shareable entries of the systems they call.
        shareable = {e.code for e in entries if e.sharing.type is not model.SharingType.NOT_SHARED}
        result: list[model.System] = []
        for system in systems:
            consumed = sorted({c for dep in system.depends_on for c in by_system.get(dep, [])[:2] if c in shareable})
            result.append(system.model_copy(update={"consumes": tuple(consumed)}) if consumed else system)
        return entries, result


# ---------------------------------------------------------------------------------------------------------
# The intranet, its classified systems and the 业务专网 lists (their own random stream)

INTRANET_PUBLIC = "NW-PUB"
_INTRANET_PUBLIC_RANGE = ipaddress.IPv4Network("10.16.0.0/20")
_INTRANET_DEDICATED_BASE = int(ipaddress.IPv4Address("10.32.0.0"))
_INTRANET_MANAGEMENT = ipaddress.IPv4Network("10.15.0.0/24")
_PRIVATE_NETWORK_BASE = int(ipaddress.IPv4Address("172.16.0.0"))
_PRIVATE_NETWORK_SLOTS = 4096  # /24s in 172.16.0.0/12; later networks list no legacy range
# Departments whose work is typically classified (涉密), by their base code.
_CLASSIFIED_BUREAUS = ("GAJ", "SJJ", "RFB", "GZW", "TJJ", "DAJ", "FGW", "CZJ")
_CLASSIFIED_FUNCTIONS = ("涉密公文处理", "涉密档案管理", "内部情况通报", "涉密会议管理", "保密要害部门监管")
_PRIVATE_NETWORK_KINDS = ("业务专网", "视频专网", "数据专网")


def intranet_zone_code(department: str) -> str:
    return f"NW-DZ-{department}"


class _Intranet:
    """The 电子政务内网 of an example city: zones for every department, routers, classified systems, 业务专网."""

    def __init__(
        self,
        rng: random.Random,
        departments: Sequence[model.Department],
        info: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]],
        systems: Sequence[model.System],
    ) -> None:
        self.rng = rng
        self.departments = departments
        self.info = info
        self.systems = systems
        self.classified = self._classified_systems()

    def network(self) -> model.Intranet:
        zones = [
            model.Zone(
                code=INTRANET_PUBLIC,
                name="电子政务内网公用网络区",
                kind=model.ZoneKind.PUBLIC,
                ranges=(_INTRANET_PUBLIC_RANGE,),
            )
        ]
        for i, dept in enumerate(self.departments):
            zones.append(
                model.Zone(
                    code=intranet_zone_code(dept.code),
                    name=f"{dept.name}内网专用网络区",
                    kind=model.ZoneKind.DEDICATED,
                    department=dept.code,
                    ranges=(ipaddress.IPv4Network((_INTRANET_DEDICATED_BASE + i * 256, 24)),),
                )
            )
        return model.Intranet(zones=tuple(zones), management=model.Management(ranges=(_INTRANET_MANAGEMENT,)))

    def routers(self) -> tuple[model.Host, ...]:
        """The intranet's zone routers: 64 department zones each, like the extranet's (never the same device)."""
        per_router = 64
        routers: list[model.Host] = []
        public_base = int(_INTRANET_PUBLIC_RANGE.network_address)
        for r in range(0, max(1, len(self.departments)), per_router):
            number = r // per_router
            addresses = [
                model.HostAddress(
                    zone=INTRANET_PUBLIC,
                    address=ipaddress.IPv4Interface(f"{ipaddress.IPv4Address(public_base + 1 + number)}/20"),
                    interface="npub0",
                )
            ]
            for i, dept in enumerate(self.departments[r : r + per_router], start=r):
                ip = ipaddress.IPv4Address(_INTRANET_DEDICATED_BASE + i * 256 + 1)
                addresses.append(
                    model.HostAddress(
                        zone=intranet_zone_code(dept.code),
                        address=ipaddress.IPv4Interface(f"{ip}/24"),
                        interface=f"ndz{i}",
                    )
                )
            routers.append(
                model.Host(
                    name=f"fw-nw-{number + 1:02d}",
                    role=model.HostRole.ZONE_ROUTER,
                    zone=INTRANET_PUBLIC,
                    addresses=tuple(addresses),
                )
            )
        return tuple(routers)

    def _classified_systems(self) -> tuple[model.System, ...]:
        rng = self.rng
        candidates = [d for d in self.departments if d.code.rstrip("0123456789") in _CLASSIFIED_BUREAUS]
        if not candidates:
            return ()
        wanted = max(4, len(self.systems) // 40)
        counters: dict[str, int] = {}
        for s in self.systems:
            number = s.code.rsplit("-", 1)[-1]
            if number.isdigit():
                counters[s.department] = max(counters.get(s.department, 0), int(number))
        result: list[model.System] = []
        hub: str | None = None
        for k in range(wanted):
            dept = candidates[k % len(candidates)] if k < len(candidates) else rng.choice(candidates)
            domain = self.info[dept.code][0]
            counters[dept.code] = counters.get(dept.code, 0) + 1
            code = f"{dept.code}-{counters[dept.code]:03d}"
            function = rng.choice(_CLASSIFIED_FUNCTIONS) if k else "涉密公文交换"
            go_live = CENSUS_DATE - dt.timedelta(days=rng.randrange(700, 5000))
            depends: tuple[str, ...] = ()
            if hub is not None and rng.random() < 0.7:
                depends = (hub,)
            system = model.System(
                code=code,
                name=f"{domain}{function}系统" if k else "内网公文交换系统",
                department=dept.code,
                function=f"在电子政务内网上处理{domain}领域的{function}业务，涉及国家秘密，不上政务云",
                scope=model.Scope.INTERNAL if k else model.Scope.CROSS_DEPARTMENT,
                frequency=rng.choice((model.Frequency.DAILY, model.Frequency.WEEKLY)),
                approving_body="市保密局",
                approval_date=go_live - dt.timedelta(days=rng.randrange(90, 400)),
                construction_mode=model.ConstructionMode.GOVERNMENT,
                build_funding="市级财政资金",
                om_funding="部门预算",
                carrying_network=rng.choices(
                    (model.CarryingNetwork.PRIVATE, model.CarryingNetwork.LAN), weights=(75, 25)
                )[0],
                classified=True,
                deployment=rng.choice((model.Deployment.PHYSICAL, model.Deployment.VM)),
                os=rng.choice(("Kylin V10", "UOS 20")),
                databases=(rng.choice(("DM8", "KingbaseES V8")),),
                go_live=go_live,
                last_update=CENSUS_DATE - dt.timedelta(days=rng.randrange(10, 400)),
                avg_cpu_percent=round(rng.uniform(10, 60), 1),
                monthly_active_users=rng.randrange(20, 900),
                ports=(model.ServicePort(name="https", port=9443),),
                depends_on=depends,
                owner=model.Contact(name=rng.choice(_SURNAMES) + rng.choice(_GIVEN), role="系统负责人"),
                intranet_zone=INTRANET_PUBLIC if not k else None,
            )
            if not k:
                hub = code
            result.append(system)
        return tuple(result)

    def private_networks(self) -> tuple[model.PrivateNetwork, ...]:
        """Each department's 业务专网 with the systems on them (one, or two when it has four or more)."""
        rng = self.rng
        on_private: dict[str, list[str]] = {}
        for s in (*self.systems, *self.classified):
            if s.carrying_network is model.CarryingNetwork.PRIVATE:
                on_private.setdefault(s.department, []).append(s.code)
        result: list[model.PrivateNetwork] = []
        slot = 0
        for dept in self.departments:
            codes = on_private.get(dept.code)
            if not codes:
                continue
            domain = self.info[dept.code][0]
            classified = {s.code for s in self.classified}
            groups: list[list[str]] = [[c for c in codes if c not in classified]]
            secret = [c for c in codes if c in classified]
            if len(groups[0]) >= 4:
                rng.shuffle(groups[0])
                cut = rng.randrange(1, len(groups[0]))
                groups = [sorted(groups[0][:cut]), sorted(groups[0][cut:])]
            groups = [g for g in groups if g]
            named: list[tuple[list[str], str, str | None]] = [
                (g, f"{domain}{_PRIVATE_NETWORK_KINDS[i % 2]}", None) for i, g in enumerate(groups)
            ]
            if secret:
                named.append((sorted(secret), f"{domain}涉密业务专网", "市保密局"))
            for index, (members, name, operator) in enumerate(named, start=1):
                ranges: tuple[ipaddress.IPv4Network, ...] = ()
                if slot < _PRIVATE_NETWORK_SLOTS:
                    ranges = (ipaddress.IPv4Network((_PRIVATE_NETWORK_BASE + slot * 256, 24)),)
                slot += 1
                result.append(
                    model.PrivateNetwork(
                        code=f"ZW-{dept.code}-{index:02d}",
                        name=name,
                        department=dept.code,
                        systems=tuple(sorted(members)),
                        ranges=ranges,
                        operator=operator or rng.choice(("中国电信", "中国联通", "中国移动", "省级主管部门")),
                    )
                )
        return tuple(result)
