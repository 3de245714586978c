"""From counted terms and the entity's facts to the action and its basis.

The rules are those of 固政办〔2025〕10号, section 二(二)6, and 《中华人民共和国公司法》
(2023) art. 260 para. 1.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from .institutions import InstitutionKind
from .models import Action, EntityType, Kind, Status

PLAN = "固政办〔2025〕10号 二(二)6"
BASIS_NEW = f"{PLAN}：未经依法批准，市场监管部门不再办理名称和经营范围中含涉金融属性字样的经营主体新设登记。"
BASIS_CHANGE_BLOCK = f"{PLAN}：不再办理名称和经营范围中含涉金融属性字样的变更登记；本次变更后仍含或新增此类字样。"
BASIS_REMOVAL = f"{PLAN}：不含去除金融属性字样的变更登记——本次变更去除了原有的涉金融字样，且未新增。"
BASIS_ORDER = f"{PLAN}：对存量包含涉金融相关字样的经营主体，督促企业限期到市场监管部门注销或变更名称、经营范围。"
BASIS_REVOKE = (
    f"{PLAN}：认定长期停业未经营、符合《公司法》第二百六十条第一款规定情形的，提请市场监管部门依照《公司法》吊销营业执照。"
    "（《公司法》第二百六十条第一款：公司成立后无正当理由超过六个月未开业的，或者开业后自行停业连续六个月以上的，"
    "公司登记机关可以吊销营业执照，但公司依法办理歇业的除外。）"
)
BASIS_EXEMPT = "持有金融业务许可或经依法批准（固政办〔2025〕10号 二(二)6“未经依法批准”之例外），不受名称和经营范围字样限制。"
# Why nothing is ordered of an existing entity that holds listed words but is closed.
BASIS_CLOSED = {
    Status.DEREGISTERED: "名称或经营范围含附件1所列字样，但本主体已注销，无需督促注销或变更名称、经营范围，不作为新增风险线索。",
    Status.REVOKED: "名称或经营范围含附件1所列字样，但本主体已被吊销营业执照，无需督促变更或提请吊销，不作为新增风险线索。",
    Status.MOVED_OUT: "名称或经营范围含附件1所列字样，但本主体已迁出本辖区，线索移交迁入地，本地不作处置。",
    Status.CANCELLED: "名称或经营范围含附件1所列字样，但本主体的登记已被撤销，无需督促注销或变更名称、经营范围，不作为新增风险线索。",
}
NOT_ON_REGISTER = "名称显示为持牌机构类型，但不在持牌机构名录中"
BASIS_VERIFY = (
    "固政办〔2025〕10号 一、二(二)6：限制的是未经依法批准的一般工商企业；持牌金融机构由其监管部门监管。"
    "核实牌照：持牌的无需处理；无牌照的属疑似非法金融机构（最严重的线索）。"
)
BASIS_PASS = "名称和经营范围中未发现附件1所列可能涉及金融活动的字样。"
BASIS_CHANGE_PASS = "变更前后名称和经营范围中均未发现附件1所列可能涉及金融活动的字样。"

_COMPANY_NAME = re.compile(r"公司\s*(?:[（(][^（()）]*[)）])?\s*$")


@dataclass(frozen=True, slots=True)
class EntityFacts:
    """What the registry knows of an entity, for the existing-entity rules."""

    name: str
    entity_type: EntityType | None = None
    status: Status | None = None
    established_on: date | None = None
    suspended_since: date | None = None

    def is_company(self) -> bool:
        if self.entity_type is not None:
            return self.entity_type is EntityType.COMPANY
        return bool(_COMPANY_NAME.search(self.name))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the month's end."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def dormancy(facts: EntityFacts, as_of: date) -> str:
    """Why the entity is dormant under Company Law art. 260 para. 1, or '' if it is not known to be.

    Not opened: established MORE than six months before ``as_of``.
    Suspended: suspended six months or more (连续六个月以上) before ``as_of``.
    A filed suspension (歇业) is the law's exception; no status means nothing is guessed.
    """
    if not facts.is_company():
        return ""
    if facts.status is Status.NOT_OPENED and facts.established_on is not None:
        if as_of > add_months(facts.established_on, 6):
            return f"成立于{facts.established_on.isoformat()}，超过六个月未开业"
    if facts.status is Status.SUSPENDED and facts.suspended_since is not None:
        if as_of >= add_months(facts.suspended_since, 6):
            return f"自{facts.suspended_since.isoformat()}起自行停业连续六个月以上"
    return ""


def decide(
    kind: Kind,
    after: frozenset[str],
    before: frozenset[str],
    *,
    licensed: bool,
    facts: EntityFacts | None,
    as_of: date | None,
    institution: InstitutionKind | None = None,
    licence: str = "",
    register: bool = False,
) -> tuple[Action, str]:
    """The action for a registration and the clause it rests on.

    ``facts`` and ``as_of`` are needed only for an existing entity with counted terms.
    An existing entity that is deregistered, revoked or moved out is ``closed``: its
    hits stand, and the basis says why nothing is ordered (before any exemption, which
    no longer matters for it).

    ``institution`` is the licensed kind the name declares; ``licence`` the basis of the
    register's row the entity is on ('' if none); ``register`` whether a register was
    given. An existing institution-kind entity with counted terms gets ``verify_licence``
    without a register; with one, the strict action of its kind when it is not on it.
    """
    if kind is Kind.EXISTING and after and facts is not None and facts.status is not None and facts.status.closed:
        return Action.CLOSED, BASIS_CLOSED[facts.status]
    if licence and after:
        return Action.EXEMPT, f"{BASIS_EXEMPT} {licence}"
    if licensed and after:
        if institution is not None:
            return Action.EXEMPT, f"{BASIS_EXEMPT} 名称显示为{institution.kind}，已提供{institution.needs}。"
        return Action.EXEMPT, BASIS_EXEMPT
    if institution is not None and after:
        declared = f"名称显示为{institution.kind}（{institution.word}），依法须持{institution.needs}"
        if kind is Kind.EXISTING and not register:
            return Action.VERIFY_LICENCE, f"{declared}。{BASIS_VERIFY}"
        action, basis = decide(kind, after, before, licensed=False, facts=facts, as_of=as_of)
        if register:
            return action, f"{NOT_ON_REGISTER}（{declared}）。{basis}"
        if action is Action.BLOCK:
            return action, f"{basis} {declared}；提供批准文件（licensed）后方可办理。"
        return action, basis
    if kind is Kind.NEW:
        return (Action.BLOCK, BASIS_NEW) if after else (Action.PASS, BASIS_PASS)
    if kind is Kind.CHANGE:
        if not after and not before:
            return Action.PASS, BASIS_CHANGE_PASS
        if after < before:
            return Action.ALLOW_REMOVAL, BASIS_REMOVAL
        return Action.BLOCK, BASIS_CHANGE_BLOCK
    if not after:
        return Action.PASS, BASIS_PASS
    why = dormancy(facts, as_of) if facts is not None and as_of is not None else ""
    if why:
        return Action.PROPOSE_REVOCATION, f"{BASIS_REVOKE} 本主体：{why}。"
    return Action.ORDER_RENAME, BASIS_ORDER
