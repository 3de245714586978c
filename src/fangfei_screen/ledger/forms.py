"""The disposal form: Attachment 3's fields, their fixed values and one validation for
the command line, the Excel import and the web form."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, fields
from datetime import date

# What offices record as done (the plan's disposal paths); the sheet offers them as a drop-down.
MEASURES = ("督促变更或注销", "约谈", "责令整改", "提请吊销", "移送公安", "行政处罚", "列入重点监管", "其他")
# The kinds of administrative penalty, 《行政处罚法》第九条.
PENALTY_TYPES = (
    "警告", "通报批评", "罚款", "没收违法所得", "没收非法财物", "暂扣许可证件", "降低资质等级", "吊销许可证件",
    "限制开展生产经营活动", "责令停产停业", "责令关闭", "限制从业", "行政拘留", "其他行政处罚",
)
YES_NO = ("是", "否")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_COUNT = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Disposal:
    """One disposal as entered; every field is text as typed (validated by ``problems``)."""

    measure: str
    date: str
    description: str = ""
    authority: str = ""
    region: str = ""
    channel: str = ""
    amount: str = ""
    unrefunded_amount: str = ""
    participants: str = ""
    unrefunded_people: str = ""
    police: str = ""
    case_date: str = ""
    admin_finding: str = ""
    penalty_date: str = ""
    penalty_type: str = ""
    refunded_amount: str = ""
    remark: str = ""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def cleaned(self) -> Disposal:
        values = {k: str(v if v is not None else "").strip() for k, v in asdict(self).items()}
        if values["measure"] == "移送公安" and not values["police"]:
            values["police"] = "是"  # the measure says it: Attachment 3's 是否移送公安 follows
        return Disposal(**values)

    def problems(self) -> dict[str, str]:
        """Field name → what is wrong (empty when valid)."""
        out: dict[str, str] = {}
        if self.measure not in MEASURES:
            out["measure"] = f"处置措施「{self.measure}」不在列表中（{'、'.join(MEASURES)}）"
        for name in ("date", "case_date", "penalty_date"):
            value = getattr(self, name)
            if name != "date" and not value:
                continue
            try:
                date.fromisoformat(value)
            except ValueError:
                out[name] = f"日期「{value}」应为 YYYY-MM-DD"
        for name in ("amount", "unrefunded_amount", "refunded_amount"):
            value = getattr(self, name)
            if value and not _NUMBER.match(value):
                out[name] = f"金额「{value}」应为非负数（万元）"
        for name in ("participants", "unrefunded_people"):
            value = getattr(self, name)
            if value and not _COUNT.match(value):
                out[name] = f"人数「{value}」应为非负整数"
        if self.police and self.police not in YES_NO:
            out["police"] = f"是否移送公安应为「是」或「否」，而非「{self.police}」"
        elif self.police == "否" and self.measure == "移送公安":
            out["police"] = "处置措施是「移送公安」，是否移送公安不能填「否」"
        elif self.police == "否" and self.case_date:
            out["police"] = "填了立案时间（公安机关立案），是否移送公安应为「是」"
        if self.penalty_type and self.penalty_type not in PENALTY_TYPES:
            out["penalty_type"] = f"处罚类型「{self.penalty_type}」不在《行政处罚法》第九条所列种类中"
        for name in ("description", "authority", "region", "channel", "admin_finding", "remark"):
            value = getattr(self, name)
            if _NUMBER.match(value or "x") and name in ("authority", "region"):
                out[name] = f"此处应为文字，而非数字「{value}」"
        return out

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode()).hexdigest()
