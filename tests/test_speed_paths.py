"""The fast paths of bulk work give the same answers as the plain ones.

A screener remembers judged texts (scope units, names; registries repeat them:
branches, chains, banks copying their statute's list); the answers must equal the
careful path's record by record, whether the memo holds a text, has dropped it, or
never took it (over its length limit)."""

from __future__ import annotations

import pytest

import fangfei_screen.screener as screener_module
from fangfei_screen import Screener

# Scope items as registries copy them from 商业银行法 art. 3 and 保险法 art. 95, and
# catalogue items (data/public/scope_catalogue.txt) around terms and their traps.
BANK = "吸收公众存款；发放短期、中期和长期贷款；办理国内结算；办理票据承兑与贴现；提供信用证服务及担保；代理国外信用卡付款"
INSURER = "企业财产损失保险；责任保险；信用保险；短期健康保险；上述业务的再保险业务"
RECORDS = [
    {"name": "固镇县农村信用合作联社", "scope": BANK},
    {"name": "某某投资管理有限公司", "scope": "以自有资金从事投资活动（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"},
    {"name": "中国人民财产保险股份有限公司固镇支公司", "scope": INSURER},
    {"name": "固镇县农村信用合作联社", "scope": BANK},
    {"name": "诚信用心商贸有限公司", "scope": "通信用光缆销售；日用百货销售（不含拍卖）"},
    {"name": "某某商贸有限公司", "scope": "贸易经纪与代理（不含拍卖）；投 资咨询"},
    {"name": "中国人民财产保险股份有限公司固镇支公司", "scope": INSURER},
    {"name": "某某商贸有限公司", "scope": "贸易经纪与代理（不含拍卖）；投 资咨询"},
    {"name": "某某科技有限公司", "scope": "软件开发；" * 300 + "投资咨询"},  # over the memo's length limit
    {"name": "某某科技有限公司", "scope": "软件开发；" * 300 + "投资咨询"},
    {"name": "", "scope": ""},
    {"name": "某某商贸有限公司", "scope": "日用百货销售"},
]


def _careful(screener: Screener) -> list[dict]:
    """Every record judged whole, with no memo (Screener._scan_careful)."""
    careful = Screener()
    careful._scan = careful._scan_careful  # type: ignore[method-assign]
    return [careful.screen(r["name"], r["scope"], kind="existing", as_of="2025-06-30").to_dict() for r in RECORDS]


@pytest.mark.parametrize("memo_size", [1, 2, 1 << 14])
def test_screen_many_with_its_memo_equals_the_careful_path(monkeypatch: pytest.MonkeyPatch, memo_size: int) -> None:
    monkeypatch.setattr(screener_module, "_SCAN_MEMO", memo_size)
    screener = Screener()
    many = [r.to_dict() for r in screener.screen_many(RECORDS * 3, kind="existing", as_of="2025-06-30")]
    careful = _careful(screener)
    assert many == careful * 3
    assert len(many) == len(RECORDS) * 3
    # screen() shares the memo and answers the same
    assert [screener.screen(r["name"], r["scope"], kind="existing", as_of="2025-06-30").to_dict() for r in RECORDS] == careful
    # the repeated bank record is judged, and its hits are the ones screen() reports
    bank = many[0]
    assert bank["action"] != "pass"
    assert {h["keyword"] for h in bank["hits"]} >= {"票据", "信用"}
    assert {h["text"] for h in bank["hits"]} >= {"票据", "信用"}


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screener_module, "_SCAN_MEMO", 4)
    screener = Screener()
    list(screener.screen_many(RECORDS * 2, kind="existing", as_of="2025-06-30"))
    info = screener._memo.cache_info()
    assert info.currsize <= 4 and info.maxsize == 4
    assert info.hits and info.misses  # it was used, and dropped texts were judged again
