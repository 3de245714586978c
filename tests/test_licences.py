"""Licensed institutions (issue 16, part 1): the kind a name declares by its organisational
part, the verify_licence action, and the register of licensed institutions.

Names follow the real naming of institutions and their branches (中国工商银行股份有限公司…支行,
…农村信用合作联社…分社, 中国人民财产保险股份有限公司…支公司, …证券营业部); scopes are the
standard scopes of banks, credit unions, insurers and securities firms as registered
(办理票据承兑与贴现；代理国外信用卡付款；提供信用证服务及担保；信用保险；证券投资咨询).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from fangfei_screen import Screener
from fangfei_screen.cli import main
from fangfei_screen.institutions import institution_of, institution_table, parent_name
from fangfei_screen.licences import LicenceRegisterError, load_register
from fangfei_screen.models import ACTIONABLE, Action
from fangfei_screen.policy import NOT_ON_REGISTER
from fangfei_screen.report import report_rows

BANK_SCOPE = (
    "吸收公众存款；发放短期、中期和长期贷款；办理国内外结算；办理票据承兑与贴现；发行金融债券；"
    "代理国外信用卡付款；提供信用证服务及担保；代理收付款项及代理保险业务；提供保管箱服务"
)
CREDIT_UNION_SCOPE = "吸收公众存款；发放短期、中期和长期贷款；办理国内结算；办理票据承兑与贴现；代理收付款项"
INSURER_SCOPE = "机动车辆保险、企业财产保险、家庭财产保险、责任保险、信用保险、短期健康保险和意外伤害保险；上述业务的再保险业务"
SECURITIES_SCOPE = "证券经纪；证券投资咨询；与证券交易、证券投资活动有关的财务顾问；证券投资基金代销"

INSTITUTIONS = [
    ("中国工商银行股份有限公司固镇支行", "商业银行", BANK_SCOPE),
    ("中国农业银行股份有限公司固镇县支行城关分理处", "商业银行", BANK_SCOPE),
    ("中国银行固镇支行", "商业银行", BANK_SCOPE),
    ("中国邮政储蓄银行股份有限公司固镇县支行", "邮政储蓄银行", BANK_SCOPE),
    ("安徽固镇农村商业银行股份有限公司营业部", "农村商业银行", BANK_SCOPE),
    ("汇丰银行（中国）有限公司合肥分行", "商业银行", BANK_SCOPE),
    ("固镇县农村信用合作联社", "农村信用合作联社", CREDIT_UNION_SCOPE),
    ("固镇县农村信用合作联社湖沟分社", "农村信用合作联社", CREDIT_UNION_SCOPE),
    ("固镇县城关农村信用合作社", "农村信用社", CREDIT_UNION_SCOPE),
    ("中国人民财产保险股份有限公司固镇支公司", "财产保险公司", INSURER_SCOPE),
    ("中国平安人寿保险股份有限公司蚌埠中心支公司固镇营销服务部", "人身保险公司", INSURER_SCOPE),
    ("国元证券股份有限公司固镇谷阳路证券营业部", "证券公司", SECURITIES_SCOPE),
    ("安徽某某保险代理有限公司", "保险专业代理机构", "代理销售保险产品；代理收取保险费；信用保险代理"),
    ("蚌埠某某保险经纪有限公司", "保险经纪机构", "为投保人拟订投保方案、选择保险人、办理投保手续；信用保险经纪"),
    ("安徽某某融资担保集团有限公司", "融资担保公司", "借款类担保业务；发行债券担保业务；票据承兑担保"),
    ("固镇县某某小额贷款有限公司", "小额贷款公司", "发放小额贷款；提供财务咨询；票据贴现"),
    ("蚌埠某某典当有限责任公司", "典当行", "动产质押典当业务；财产权利质押典当业务；房地产抵押典当业务；鉴定评估及咨询服务；投资咨询"),
    ("安徽某某拍卖有限公司", "拍卖企业", "拍卖业务；文物拍卖"),
]

LOOK_ALIKES = [
    ("银行路五金店", "五金产品零售；投资咨询"),
    ("固镇县某某银行卡代办服务部", "银行卡代办服务；信用卡还款代办"),
    ("固镇县某某保险柜销售有限公司", "保险柜销售；投资咨询"),
    ("安徽某某商贸有限公司银行路分公司", "日用百货销售；投资咨询"),
    ("固镇县某某证券大厦物业管理有限公司", "物业管理；投资咨询服务"),
    ("固镇县某某财务咨询有限公司", "代理记账；票据信息咨询服务"),
    ("固镇县某某投资管理有限公司", "以自有资金从事投资活动"),
]


@pytest.mark.parametrize(("name", "kind", "scope"), INSTITUTIONS)
def test_an_institution_name_is_read_by_its_organisational_part(name: str, kind: str, scope: str) -> None:
    found = institution_of(name)
    assert found is not None and found.kind == kind
    assert found.approval and found.regulator and found.source.startswith("《")


@pytest.mark.parametrize(("name", "scope"), LOOK_ALIKES)
def test_a_name_that_only_looks_like_an_institution_is_not_one(name: str, scope: str) -> None:
    assert institution_of(name) is None
    result = Screener().screen(name, scope, kind="existing")
    assert result.action is Action.ORDER_RENAME and result.institution is None


def test_a_branch_names_its_parent() -> None:
    assert parent_name("中国工商银行股份有限公司固镇支行") == "中国工商银行股份有限公司"
    assert parent_name("固镇县农村信用合作联社湖沟分社") == "固镇县农村信用合作联社"
    assert parent_name("中国银行固镇支行") == "中国银行"
    assert parent_name("安徽某某商贸有限公司银行路分公司") == "安徽某某商贸有限公司"
    assert parent_name("固镇县某某五金店") is None


def test_every_row_of_the_kind_table_is_sourced() -> None:
    table = institution_table()
    assert len(table) >= 30
    assert {r.regulator for r in table} >= {"国家金融监督管理总局", "中国人民银行", "中国证券监督管理委员会", "地方金融管理部门"}
    assert len({r.word for r in table}) == len(table)
    assert all(r.source and r.approval for r in table)


@pytest.mark.parametrize(("name", "kind", "scope"), INSTITUTIONS)
def test_an_existing_institution_with_counted_words_gets_verify_licence(name: str, kind: str, scope: str) -> None:
    result = Screener().screen(name, scope, kind="existing")
    assert result.keywords, "the real scope holds listed words"
    assert result.action is Action.VERIFY_LICENCE
    assert result.action.label == "核实牌照：持牌的无需处理；无牌照的属疑似非法金融机构（最严重的线索）"
    assert kind in result.basis and result.institution is not None
    assert result.to_dict()["institution"]["kind"] == kind
    assert Action.VERIFY_LICENCE not in ACTIONABLE


def test_an_institution_without_counted_words_passes() -> None:
    assert Screener().screen("中国工商银行股份有限公司固镇支行", "吸收公众存款；发放贷款", kind="existing").action is Action.PASS


def test_a_new_institution_is_blocked_unless_approval_is_shown_and_the_basis_names_it() -> None:
    s = Screener()
    blocked = s.screen("安徽某某保险代理有限公司", "信用保险代理", kind="new")
    assert blocked.action is Action.BLOCK and "经营保险代理业务许可证" in blocked.basis and "国家金融监督管理总局" in blocked.basis
    allowed = s.screen("安徽某某保险代理有限公司", "信用保险代理", kind="new", licensed=True)
    assert allowed.action is Action.EXEMPT and "经营保险代理业务许可证" in allowed.basis
    change = s.screen("安徽某某融资担保有限公司", "借款类担保业务；票据承兑担保", kind="change",
                      before_name="安徽某某融资担保有限公司", before_scope="借款类担保业务")
    assert change.action is Action.BLOCK and "融资担保业务经营许可证" in change.basis


def test_a_closed_institution_stays_closed() -> None:
    r = Screener().screen("中国工商银行股份有限公司固镇支行", BANK_SCOPE, kind="existing", status="deregistered")
    assert r.action is Action.CLOSED


def _register_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["机构名称", "统一社会信用代码", "许可证类型", "许可证编号", "发证机关"])
        w.writerows(rows)
    return path


REGISTER_ROWS = [
    ["中国工商银行股份有限公司", "", "金融许可证", "B0001H134030001", "国家金融监督管理总局蚌埠监管分局"],
    ["固镇县农村信用合作联社", "91340323151234567X", "金融许可证", "C1043S334030001", "国家金融监督管理总局蚌埠监管分局"],
    ["中国人民财产保险股份有限公司固镇支公司", "", "保险许可证", "000002340323", "国家金融监督管理总局"],
]


def test_an_entity_on_the_register_is_exempt_with_its_row_and_licence(tmp_path: Path) -> None:
    reg = _register_csv(tmp_path / "持牌机构名录.csv", REGISTER_ROWS)
    s = Screener(licences=reg)
    branch = s.screen("中国工商银行股份有限公司固镇支行", BANK_SCOPE, kind="existing")
    assert branch.action is Action.EXEMPT
    assert "持牌机构名录.csv 第2行" in branch.basis and "B0001H134030001" in branch.basis
    by_code = s.screen("固镇县某某信用社", CREDIT_UNION_SCOPE, kind="existing", credit_code="91340323151234567x")
    assert by_code.action is Action.EXEMPT and "第3行" in by_code.basis and "统一社会信用代码" in by_code.basis
    by_name = s.screen("中国人民财产保险股份有限公司 固镇支公司", INSURER_SCOPE, kind="existing")
    assert by_name.action is Action.EXEMPT and "第4行" in by_name.basis
    sub_branch = s.screen("固镇县农村信用合作联社湖沟分社", CREDIT_UNION_SCOPE, kind="existing")
    assert sub_branch.action is Action.EXEMPT and "分支机构" in sub_branch.basis
    assert branch.licences_file == "持牌机构名录.csv" and len(branch.licences_sha256) == 64
    assert branch.to_dict()["licences_sha256"] == branch.licences_sha256


def test_an_institution_not_on_the_register_gets_its_kinds_strict_action(tmp_path: Path) -> None:
    s = Screener(licences=_register_csv(tmp_path / "r.csv", REGISTER_ROWS))
    existing = s.screen("中国农业银行股份有限公司固镇县支行", BANK_SCOPE, kind="existing")
    assert existing.action is Action.ORDER_RENAME and NOT_ON_REGISTER in existing.basis
    new = s.screen("国元证券股份有限公司固镇营业部", SECURITIES_SCOPE, kind="new")
    assert new.action is Action.BLOCK and NOT_ON_REGISTER in new.basis and "经营证券期货业务许可证" in new.basis
    # a general enterprise is judged as before, and a register does not exempt a look-alike
    general = s.screen("中国工商银行卡代办服务部", "信用卡代办", kind="existing")
    assert general.action is Action.ORDER_RENAME and NOT_ON_REGISTER not in general.basis


def test_a_register_made_by_excel_is_read_the_same(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "持牌机构"
    sheet.append(["固镇县持牌金融机构名录（2025年6月）"])
    sheet.append([])
    sheet.append(["序号", "机构名称", "许可证编号", "发证机关"])
    sheet.append([1, "中国工商银行股份有限公司固镇支行", "B0001B234030002", "国家金融监督管理总局蚌埠监管分局"])
    path = tmp_path / "名录.xlsx"
    book.save(path)
    r = Screener(licences=path).screen("中国工商银行股份有限公司固镇支行", BANK_SCOPE, kind="existing")
    assert r.action is Action.EXEMPT and "工作表「持牌机构」第4行" in r.basis and "B0001B234030002" in r.basis


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("机构名称,许可证编号\n中国工商银行股份有限公司,B1\n\n,B2\n", "第4行"),
        ("名单,备注\n甲,乙\n", "没有「机构名称」或「统一社会信用代码」列"),
        ('机构名称,许可证编号\n"中国银行,B1\n', "第2行"),
    ],
)
def test_a_malformed_register_is_one_chinese_line_naming_file_and_line(tmp_path: Path, content: str, where: str) -> None:
    path = tmp_path / "坏名录.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LicenceRegisterError) as caught:
        load_register(path)
    message = str(caught.value)
    assert "坏名录.csv" in message and where in message and "\n" not in message
    proc = subprocess.run([sys.executable, "-m", "fangfei_screen", "check", "--name", "某某", "--licences", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_check_exits_3_for_verify_licence_and_0_when_on_the_register(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", "--kind", "existing", "--name", "中国工商银行股份有限公司固镇支行", "--scope", BANK_SCOPE]
    assert main(args) == 3
    assert "核实牌照" in capsys.readouterr().out
    reg = _register_csv(tmp_path / "r.csv", REGISTER_ROWS)
    assert main([*args, "--licences", str(reg), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["action"] == "exempt" and body["licences"] == "r.csv"
    assert main(["check", "--kind", "existing", "--name", "固镇县某某信用社", "--scope", CREDIT_UNION_SCOPE,
                 "--licences", str(reg), "--credit-code", "91340323151234567X"]) == 0


def _registry(path: Path) -> Path:
    rows = [(f"91340323MA2{i:07d}", name, scope) for i, (name, _kind, scope) in enumerate(INSTITUTIONS)]
    rows += [(f"91340323MA3{i:07d}", name, scope) for i, (name, scope) in enumerate(LOOK_ALIKES)]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "企业名称", "登记状态", "经营范围"])
        w.writerows([(code, name, "存续", scope) for code, name, scope in rows])
    return path


def test_scan_counts_verify_licence_and_report_leaves_it_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _registry(tmp_path / "名录.csv")
    out = tmp_path / "screened.csv"
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    printed = capsys.readouterr().out
    assert f"verify_licence（{Action.VERIFY_LICENCE.label}）: {len(INSTITUTIONS)}" in printed
    with out.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [r["action"] for r in rows].count("verify_licence") == len(INSTITUTIONS)
    assert all(r["licences"] == "" and r["licences_sha256"] == "" for r in rows)
    reported = {r[0] for r in report_rows(out)}
    assert reported == {name for name, _ in LOOK_ALIKES if Screener().screen(name, _, kind="existing").action is Action.ORDER_RENAME}


def test_scan_with_a_register_in_parallel_writes_its_sha256(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _registry(tmp_path / "名录.csv")
    reg = _register_csv(tmp_path / "reg.csv", REGISTER_ROWS)
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"screened-{jobs}.csv"
        assert main(["scan", str(src), "-o", str(out), "--licences", str(reg), "--jobs", jobs, "--chunk-rows", "5"]) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    with (tmp_path / "screened-1.csv").open(encoding="utf-8-sig") as f:
        rows = {r["企业名称"]: r for r in csv.DictReader(f)}
    assert {r["licences_sha256"] for r in rows.values()} == {load_register(reg).sha256}
    assert rows["中国工商银行股份有限公司固镇支行"]["action"] == "exempt"
    assert rows["中国农业银行股份有限公司固镇县支行城关分理处"]["action"] == "order_rename"
    assert "verify_licence" not in {r["action"] for r in rows.values()}
    xlsx = tmp_path / "screened.xlsx"
    assert main(["scan", str(src), "-o", str(xlsx), "--licences", str(reg)]) == 0
    sheet = openpyxl.load_workbook(xlsx, read_only=True).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert "licences_sha256" in header


def test_the_hook_takes_a_credit_code_as_text_only(tmp_path: Path) -> None:
    from fangfei_screen.hook import check_application
    from fangfei_screen.screener import ScreeningInputError

    s = Screener(licences=_register_csv(tmp_path / "r.csv", REGISTER_ROWS))
    app = {"name": "固镇县某某信用社", "scope": CREDIT_UNION_SCOPE, "kind": "existing", "credit_code": "91340323151234567X"}
    assert check_application(app, screener=s).action is Action.EXEMPT
    with pytest.raises(ScreeningInputError, match="credit_code"):
        check_application({**app, "credit_code": 91340323}, screener=s)
    with pytest.raises(ScreeningInputError, match="credit_code"):
        s.screen("固镇县某某信用社", CREDIT_UNION_SCOPE, credit_code=123)  # type: ignore[arg-type]
