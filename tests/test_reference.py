"""Property test: the screener against a brute-force reference matcher (str.find over
every form of every term, on text folded by a separate, slow implementation)."""

from __future__ import annotations

import unicodedata

import opencc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangfei_screen import Field, Screener, bundled_list_path, load_list
from fangfei_screen.normalize import NOISE_CHARS

LIST = load_list(bundled_list_path())
FORMS = [(t.term, t.term) for t in LIST.terms] + [(s, t.term) for t in LIST.terms for s in t.synonyms]
S2T = opencc.OpenCC("s2t")
T2S = opencc.OpenCC("t2s")
# Invisible characters, written out here from the issue and the Unicode tables rather
# than taken from the package: soft hyphen, invisible operators, direction marks and
# isolates, the Arabic letter mark, combining grapheme joiner, variation selectors (BMP
# and supplement), the Mongolian vowel separator, Hangul filler, zero-width characters,
# word joiner, byte order mark, a tag character.
INVISIBLE = list(
    "\u00ad\u2061\u2062\u2063\u2064\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u061c\u034f\ufe00\ufe0f\U000e0100\U000e01ef\u180e\u3164\u200b\u200c\u200d\u2060\ufeff\U000e0041"
)
NOISE = sorted(NOISE_CHARS - set("\t\r\n\v\f")) + INVISIBLE
# Filler: common characters (some sharing characters with terms), ASCII, delimiters.
FILLER = list("的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出会可也你对生能而子那得于着下自之年过发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因只从想实日军者意无力它与长把机十民第公此已工使情明性知全三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产或新己制身果加西斯月话合回特代内信表化老给世位次度门任常先海通教儿原东声提立及比员解水名真论处走义各入几口认条平系气题活尔更别打女变四神总何电数安少报才结反受目太量再感建务做接必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基眼书非则听白却界达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济车亲极林服快办议往元英士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连调深商算质团集百需价花党华城石级整府离况亚请技际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历首医局突专费号尽另周较注语仅考落青随选列武红响虽推势参希古众构房半节土投某案黑维革划敌致陈律足态护七兴派孩验责营星够章音跟志底站严巴例防族供效续施留讲型料终答紧黄绝奇察母京段依批群项故按河米围江织害斗双境客纪采举杀攻父苏密低朝友诉止细愿千值仍男钱破网热助倒育属坐帝限船脸职速刻乐否刚威毛状率甚独球般普怕弹校苦创假久错承印晚兰试股拿脑预谁益阳若哪微尼继送急血惊伤素药适波夜省初喜卫源食险待述陆习置居劳财环排福纳欢雷警获模充负云停木游龙树疑层冷洲冲射略范竟句室异激汉村哈策演简卡罪判担州静退既衣您宗积余痛检差富灵协角占配征修皮挥胜降阶审沉坚善妈刘读啊超免压银买皇养伊怀执副乱抗犯追帮宣佛岁航优怪香著田铁控税左右份穿艺背阵草脚概恶块顿敢守酒岛托央户烈洋哥索胡款靠评版宝座释景顾弟登货互付伯慢欧换闻危忙核暗姐介坏讨丽良序升监临亮露永呼味野架域沙掉括舰鱼杂误湾吉减编楚肯测败屋跑梦散温困剑渐封救贵枪缺楼县尚毫移娘朋画班智亦耳恩短掌恐遗固席松秘谢鲁遇康虑幸均销钟诗藏赶剧票损忽巨炮旧端探湖录叶春乡附吸予礼港雨呀板庭妇归睛饭额含顺输摇招婚脱补谓督毒油疗旅泽材灭逐莫笔亡鲜词圣择寻厂睡博勒烟授诺伦岸奥唐卖俄炸载洛健堂旁宫喝借君禁阴园谋宋避抓荣姑孙逃牙束跳顶玉镇雪午练迫爷篇肉嘴馆遍凡础洞卷坦牛宁纸诸训私庄祖丝翻暴森塔默握戏隐熟骨访弱蒙歌店鬼软典欲萨伙遭盘爸扩盖弄雄稳忘亿刺拥徒姆杨齐赛趣曲刀床迎冰虚玩析窗醒妻透购替塞努休虎扬途侵刑绿兄迅套贸毕唯谷轮库迹尤竞街促延震弃甲伟麻川申缓潜闪售灯针哲络抵朱埃抱鼓植纯夏忍页杰筑折郑贝尊吴秀混臣雅振染盛怒舞圆搞狂措姓残秋培迷诚宽宇猛摆梅毁伸摩盟末乃悲拍丁赵")
FILLER += list("abcdefghijklmnopqrstuvwxyz0123456789") + list("、；;，,。（）()") + NOISE


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def with_noise(s: str, noise: str) -> str:
    return noise.join(s)


VARIANTS = [lambda s: s, str.upper, str.lower, fullwidth, lambda s: S2T.convert(s)]


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        parts.append("".join(draw(st.lists(st.sampled_from(FILLER), max_size=8))))
        form, _ = draw(st.sampled_from(FORMS))
        form = draw(st.sampled_from(VARIANTS))(form)
        if draw(st.booleans()):
            form = with_noise(form, draw(st.sampled_from(NOISE)))
        parts.append(form)
    parts.append("".join(draw(st.lists(st.sampled_from(FILLER), max_size=8))))
    return "".join(parts)


def invisible(ch: str) -> bool:
    """Renders as nothing: a format character, a variation selector, or one of the
    other default-ignorable characters (Unicode PropList.txt)."""
    return (
        unicodedata.category(ch) == "Cf"
        or unicodedata.name(ch, "").startswith(("VARIATION SELECTOR", "MONGOLIAN FREE VARIATION SELECTOR"))
        or ch in "\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0"
    )


def reference_fold(text: str) -> str:
    out = []
    for ch in text:
        if ch in NOISE_CHARS or unicodedata.normalize("NFKC", ch) in NOISE_CHARS or invisible(ch):
            continue
        ch = unicodedata.normalize("NFKC", ch)
        out.append(T2S.convert(ch).lower())
    return "".join(out)


def reference_terms(text: str) -> set[str]:
    folded = reference_fold(text)
    found = []
    for form, term in FORMS:
        key = reference_fold(form)
        i = folded.find(key)
        while i >= 0:
            found.append((i, i + len(key), term))
            i = folded.find(key, i + 1)
    taken: list[tuple[int, int]] = []
    terms = set()
    for a, b, term in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
        if any(a < y and x < b for x, y in taken if (x, y) != (a, b)):
            continue
        taken.append((a, b))
        terms.add(term)
    return terms


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts())
def test_same_terms_as_the_reference_and_spans_map_back(text: str) -> None:
    screener = _SCREENER
    scan = screener.scan(text, Field.SCOPE)
    found = {h.keyword for h in scan.hits + scan.suppressed}
    assert found == reference_terms(text)
    for h in scan.hits + scan.suppressed:
        assert text[h.start : h.end] == h.text
        assert reference_fold(h.text) in {reference_fold(f) for f, t in FORMS if t == h.keyword}


_SCREENER = Screener()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(texts(), texts()), min_size=1, max_size=8), st.sampled_from(["new", "change", "existing"]))
def test_the_bulk_fast_path_gives_what_screen_gives(records: list[tuple[str, str]], kind: str) -> None:
    """screen_many's shortcut for records without a match never changes a result."""
    screener = _SCREENER
    dicts = [{"name": n, "scope": s} for n, s in records]
    many = list(screener.screen_many(dicts, kind=kind, as_of="2025-06-30"))
    one = [screener.screen(n, s, kind=kind, as_of="2025-06-30") for n, s in records]
    assert many == one
