"""Result types: frozen dataclasses and str enums, shared by every layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .institutions import InstitutionKind


class Action(StrEnum):
    """What the registration desk should do with an application or entity."""

    PASS = "pass"
    BLOCK = "block"
    ALLOW_REMOVAL = "allow_removal"
    ORDER_RENAME = "order_rename"
    PROPOSE_REVOCATION = "propose_revocation"
    EXEMPT = "exempt"
    CLOSED = "closed"  # an existing entity already deregistered, revoked or moved out
    VERIFY_LICENCE = "verify_licence"  # an existing entity whose name declares a licensed kind of institution

    @property
    def label(self) -> str:
        """The action in the words a regulator reads."""
        return _ACTION_LABELS[self]


# The actions someone must act on: the rows of the monthly report, the `--only-flagged` rows.
# Not CLOSED: an entity already deregistered, revoked or moved out is reported with its
# hits, but nothing is ordered of it and it is not a new risk clue. Not VERIFY_LICENCE:
# a name of a licensed kind of institution is a clue only once its licence is found missing.
ACTIONABLE = frozenset({Action.BLOCK, Action.ORDER_RENAME, Action.PROPOSE_REVOCATION})

_ACTION_LABELS = {
    Action.PASS: "通过",
    Action.BLOCK: "不予登记",
    Action.ALLOW_REMOVAL: "准予登记（去除涉金融字样的变更）",
    Action.ORDER_RENAME: "督促限期注销或变更名称、经营范围",
    Action.PROPOSE_REVOCATION: "提请吊销营业执照",
    Action.EXEMPT: "持牌或经批准，免于限制",
    Action.CLOSED: "已注销、吊销、撤销或迁出，不作处置",
    Action.VERIFY_LICENCE: "核实牌照：持牌的无需处理；无牌照的属疑似非法金融机构（最严重的线索）",
}


class Kind(StrEnum):
    """What is being screened."""

    NEW = "new"  # 设立登记
    CHANGE = "change"  # 变更登记
    EXISTING = "existing"  # 存量主体


class Field(StrEnum):
    """Which field of the registration a hit lies in."""

    NAME = "name"
    SCOPE = "scope"

    @property
    def label(self) -> str:
        """The field as the registration form names it."""
        return FIELD_LABELS[self.value]


# The one place the fields' Chinese names live (pages, history, reports and the command line read it).
FIELD_LABELS: dict[str, str] = {"name": "名称", "scope": "经营范围"}
# an application's fields (a change registration also gives the name and scope before it)
APPLICATION_FIELD_LABELS: dict[str, str] = {**FIELD_LABELS, "before_name": "变更前名称", "before_scope": "变更前经营范围"}


class Via(StrEnum):
    """How the text matched its term."""

    EXACT = "exact"  # the term as listed
    VARIANT = "variant"  # after folding width, case, traditional forms or noise
    SYNONYM = "synonym"  # a listed synonym, reported as its canonical term


class SuppressReason(StrEnum):
    """Why a match does not count toward the action."""

    PLACE_NAME = "place_name"
    EXCLUSION = "exclusion"
    WORD_BOUNDARY = "word_boundary"
    NEGATED = "negated"
    OTHER_SENSE = "other_sense"  # a word, or a product named by its head noun, of a non-financial sense


class Effect(StrEnum):
    """What a list's hits do: restrict registration, or only mark for supervision."""

    RESTRICT = "restrict"
    SUPERVISE = "supervise"


class EntityType(StrEnum):
    COMPANY = "company"
    INDIVIDUAL = "individual"
    COOPERATIVE = "cooperative"
    PARTNERSHIP = "partnership"
    OTHER = "other"


class Status(StrEnum):
    """Operating status as the registry states it; None means nothing is known."""

    OPERATING = "operating"
    NOT_OPENED = "not_opened"  # 未开业
    SUSPENDED = "suspended"  # 停业
    SUSPENSION_FILED = "suspension_filed"  # 依法办理歇业
    DEREGISTERED = "deregistered"  # 注销
    REVOKED = "revoked"  # 吊销营业执照，未注销
    MOVED_OUT = "moved_out"  # 迁出本辖区
    CANCELLED = "cancelled"  # 撤销登记 (the registration itself withdrawn)

    @property
    def closed(self) -> bool:
        """Whether the entity no longer operates under this registry, so that nothing
        can be ordered of it here."""
        return self in (Status.DEREGISTERED, Status.REVOKED, Status.MOVED_OUT, Status.CANCELLED)


class Category(IntEnum):
    """The six industry classes of Attachment 2, note 2."""

    VIRTUAL_CURRENCY = 1
    PRIVATE_FINANCE = 2
    SECURITIES = 3
    LOCAL_FINANCE = 4
    SERVICES = 5
    OTHER = 6

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.VIRTUAL_CURRENCY: "虚拟货币、区块链、互联网金融、支付、征信",
    Category.PRIVATE_FINANCE: "民间投融资、P2P网贷、第三方财富管理、非法银行、非法保险",
    Category.SECURITIES: "私募基金、证券期货、股权众筹、伪私募、伪金交所、产登公司、拍卖公司",
    Category.LOCAL_FINANCE: "小额贷款、融资性担保、典当、融资租赁、商业保理",
    Category.SERVICES: "教育、养老、涉农、商贸服务等",
    Category.OTHER: "其他",
}

# The 18 fundraising methods of Attachment 2, note 3 (short forms; the note's
# "直接借货" is read as the evident 直接借贷).
FUNDRAISING_METHODS = (
    "直接借贷",
    "委托理财",
    "房屋销售",
    "托管造林",
    "委托种植养殖",
    "商品经销",
    "发行股票",
    "发行债券",
    "投资入股",
    "募集基金",
    "发行信托",
    "销售保险",
    "社员分红",
    "类传销",
    "销售加盟积分返利",
    "众筹",
    "项目投资",
    "以点击广告做任务为名收取保证金",
)


@dataclass(frozen=True, slots=True)
class TermInfo:
    """A listed term as hits report it: shared by every hit of the term."""

    keyword: str
    category: int
    category_name: str
    methods: tuple[str, ...]
    list_name: str
    list_version: str
    effect: Effect = Effect.RESTRICT


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence of a listed term in a field.

    ``start``/``end`` index the ORIGINAL field text: ``field_text[start:end] == text``.
    ``reason`` and ``detail`` are set only on suppressed hits. The term's own facts
    (``keyword``, ``category``, ``category_name``, ``methods``, ``list_name``,
    ``list_version``, ``effect``) are read through from ``term``.
    """

    term: TermInfo
    text: str
    field: Field
    start: int
    end: int
    via: Via
    reason: SuppressReason | None = None
    detail: str = ""

    @property
    def keyword(self) -> str:
        """The canonical term (a synonym reports the term it stands for)."""
        return self.term.keyword

    @property
    def category(self) -> int:
        return self.term.category

    @property
    def category_name(self) -> str:
        return self.term.category_name

    @property
    def methods(self) -> tuple[str, ...]:
        return self.term.methods

    @property
    def list_name(self) -> str:
        return self.term.list_name

    @property
    def list_version(self) -> str:
        return self.term.list_version

    @property
    def effect(self) -> Effect:
        return self.term.effect

    def to_dict(self) -> dict[str, Any]:
        t = self.term
        d: dict[str, Any] = {
            "keyword": t.keyword,
            "text": self.text,
            "field": self.field.value,
            "start": self.start,
            "end": self.end,
            "category": t.category,
            "category_name": t.category_name,
            "methods": list(t.methods),
            "via": self.via.value,
            "list": t.list_name,
            "list_version": t.list_version,
            "effect": t.effect.value,
        }
        if self.reason is not None:
            d["reason"] = self.reason.value
            d["detail"] = self.detail
        return d


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of screening one registration.

    ``hits`` are the counted hits of lists that restrict registration;
    ``watch`` the hits of supervision-only lists (they never change the action);
    ``suppressed`` the matches that do not count, each with its reason.
    """

    action: Action
    kind: Kind
    hits: tuple[Hit, ...]
    suppressed: tuple[Hit, ...]
    basis: str
    list_version: str
    list_sha256: str
    watch: tuple[Hit, ...] = ()
    before_keywords: tuple[str, ...] = field(default=())
    institution: InstitutionKind | None = None  # the licensed kind the name declares, if any
    licences_file: str = ""  # the licence register screened against (its file name), if any
    licences_sha256: str = ""

    @property
    def keywords(self) -> tuple[str, ...]:
        """The distinct canonical terms counted, in order of first appearance."""
        return tuple(dict.fromkeys(h.keyword for h in self.hits))

    @property
    def categories(self) -> tuple[int, ...]:
        return tuple(sorted({h.category for h in self.hits}))

    @property
    def supervise(self) -> bool:
        """True when the entity should be listed for key supervision (重点监管)."""
        return bool(self.hits or self.watch)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view of the result."""
        return {
            "action": self.action.value,
            "action_label": self.action.label,
            "kind": self.kind.value,
            "keywords": list(self.keywords),
            "categories": list(self.categories),
            "supervise": self.supervise,
            "hits": [h.to_dict() for h in self.hits],
            "watch": [h.to_dict() for h in self.watch],
            "suppressed": [h.to_dict() for h in self.suppressed],
            "before_keywords": list(self.before_keywords),
            "basis": self.basis,
            "list_version": self.list_version,
            "list_sha256": self.list_sha256,
            "institution": self.institution.to_dict() if self.institution is not None else None,
            "licences": self.licences_file,
            "licences_sha256": self.licences_sha256,
        }
