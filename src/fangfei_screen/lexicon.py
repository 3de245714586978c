"""Load and validate keyword lists (YAML), with every problem named by file and line."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import yaml

from .models import FUNDRAISING_METHODS, Category, Effect, SuppressReason
from .normalize import basic_fold

_TOP_KEYS = {"name", "title", "version", "source", "effect", "terms", "senses", "note"}
_TERM_KEYS = {"term", "category", "methods", "synonyms", "exclusions", "heads", "note"}
_EXCLUSION_KEYS = {"pattern", "reason", "note"}
_EXCLUSION_REASONS = {SuppressReason.PLACE_NAME.value, SuppressReason.EXCLUSION.value}

# Limits that keep a hostile or broken list file from costing more than its size:
# problems listed (the rest are counted), nesting depth (the YAML composer recurses
# once per level), and nodes that aliases (*name) add when written out.
MAX_PROBLEMS = 200
MAX_DEPTH = 64
MAX_ALIAS_NODES = 100_000
# Letters that render as nothing (Hangul fillers, the blank Braille pattern).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A context around a term that marks a known harmless use (e.g. a place name)."""

    pattern: str
    reason: SuppressReason
    line: int
    note: str = ""  # why, as the list or the senses table says it


@dataclass(frozen=True, slots=True)
class Term:
    """A listed term. ``heads``: nouns (devices, parts, materials) that, right after the
    term, make a product name of another sense (积分 + 仪 → 积分仪); the compound is
    judged by its head noun."""

    term: str
    category: Category
    methods: tuple[str, ...]
    synonyms: tuple[str, ...]
    exclusions: tuple[Exclusion, ...]
    line: int
    heads: tuple[str, ...] = ()


# The senses a row of a senses table may give a word (see data/senses.tsv).
SENSES = ("financial", "other", "straddle")
SENSES_HEADER = ("word", "term", "sense", "reason")


@dataclass(frozen=True, slots=True)
class Sense:
    """One reviewed word holding a listed term: its sense and why. ``other`` words are
    loaded as exclusions of the term (reason ``other_sense``)."""

    word: str
    term: str
    sense: str
    reason: str
    line: int


@dataclass(frozen=True, slots=True)
class KeywordList:
    """A validated list; ``sha256`` is that of the file's bytes, followed by those of
    its senses table when it names one (the table changes what counts)."""

    name: str
    title: str
    version: str
    source: str
    effect: Effect
    terms: tuple[Term, ...]
    sha256: str
    path: str
    senses: tuple[Sense, ...] = ()

    def term(self, word: str) -> Term:
        for t in self.terms:
            if t.term == word:
                return t
        raise KeyError(word)


@dataclass(frozen=True, slots=True)
class ListProblem:
    """One thing wrong with a list file."""

    path: str
    line: int
    entry: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        entry = f" [{self.entry}]" if self.entry else ""
        return f"{where}{entry}: {self.message}"


class KeywordListError(ValueError):
    """A list file failed to load; ``problems`` holds every problem found."""

    def __init__(self, problems: list[ListProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"关键词清单有 {len(problems)} 处错误 / keyword list is invalid:\n{lines}")


def bundled_list_path(filename: str = "keywords.yaml") -> Path:
    """Path of a list shipped with the package."""
    return Path(str(resources.files("fangfei_screen") / "data" / filename))


def load_list(path: str | Path) -> KeywordList:
    """Load a list, raising :class:`KeywordListError` with every problem at once."""
    keyword_list, problems = _parse(Path(path))
    if problems or keyword_list is None:
        raise KeywordListError(problems)
    return keyword_list


def validate_list(path: str | Path) -> list[ListProblem]:
    """Every problem in a list file (empty when it is clean)."""
    return _parse(Path(path))[1]


class _Collector:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[ListProblem] = []
        self.unlisted = 0

    def add(self, node: yaml.Node | None, entry: str, message: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.unlisted += 1
            return
        line = node.start_mark.line + 1 if node is not None else 0
        self.problems.append(ListProblem(self.path, line, entry, message))


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses nesting deeper than MAX_DEPTH before Python's stack runs out."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"嵌套超过 {MAX_DEPTH} 层 / nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1


def _alias_nodes(root: yaml.Node) -> int:
    """How many nodes aliases add when written out (the composer shares one node per anchor)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) not in sizes:
            if isinstance(node, yaml.SequenceNode):
                children = node.value
            elif isinstance(node, yaml.MappingNode):
                children = [n for pair in node.value for n in pair]
            else:
                children = []
            sizes[id(node)] = 1 + sum(size(child) for child in children)
        return sizes[id(node)]

    return size(root) - len(sizes)


def _not_text(node: yaml.Node | None) -> bool:
    """A scalar YAML reads as null or a boolean (null, ~, true, yes, off …), not as a word."""
    return isinstance(node, yaml.ScalarNode) and node.tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool") and bool(node.value)


def _not_text_message(what: str, node: yaml.Node) -> str:
    return f"{what} 的值 '{node.value}' 在 YAML 中是空值或布尔值，不是字样；确为该字样请加引号 / YAML reads it as null or a boolean; quote it"


def _visible(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_LETTERS for ch in text)


def _scalar(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return None


def _mapping(node: yaml.Node, c: _Collector, entry: str, allowed: set[str]) -> dict[str, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        c.add(node, entry, "应为映射（key: value）/ expected a mapping")
        return None
    out: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = _scalar(key_node)
        if key is None:
            c.add(key_node, entry, "键应为文本 / key must be text")
            continue
        if key in out:
            c.add(key_node, entry, f"重复的键 '{key}' / duplicate key '{key}'")
        elif key not in allowed:
            c.add(key_node, entry, f"未知字段 '{key}'，可用字段：{', '.join(sorted(allowed))} / unknown field")
        out[key] = value_node
    return out


def _str_list(node: yaml.Node | None, c: _Collector, entry: str, what: str) -> list[tuple[str, yaml.Node]]:
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
        return []
    if not isinstance(node, yaml.SequenceNode):
        c.add(node, entry, f"{what} 应为列表 / {what} must be a list")
        return []
    out = []
    for item in node.value:
        if _not_text(item):
            c.add(item, entry, _not_text_message(what, item))
            continue
        text = _scalar(item)
        if text is None or not text.strip():
            c.add(item, entry, f"{what} 含空项或非文本项 / {what} has an empty or non-text item")
            continue
        out.append((text, item))
    return out


def _parse(path: Path) -> tuple[KeywordList | None, list[ListProblem]]:
    c = _Collector(str(path))
    keyword_list, problems = _parse_file(path, c)
    if c.unlisted:
        more = f"另有 {c.unlisted} 处问题未列出（共 {len(problems) + c.unlisted} 处）/ {c.unlisted} more problems not listed"
        problems = [*problems, ListProblem(c.path, 0, "", more)]
    return keyword_list, problems


def _parse_file(path: Path, c: _Collector) -> tuple[KeywordList | None, list[ListProblem]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        c.add(None, "", f"无法读取文件 / cannot read the file: {exc.strerror or exc}")
        return None, c.problems
    try:
        text = raw.decode("utf-8-sig")
        root = yaml.compose(text, Loader=_BoundedLoader)
    except UnicodeDecodeError:
        c.add(None, "", "文件不是 UTF-8 编码 / the file is not UTF-8")
        return None, c.problems
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        c.problems.append(ListProblem(str(path), line, "", f"YAML 语法错误 / YAML syntax error: {getattr(exc, 'problem', exc)}"))
        return None, c.problems
    if root is None:
        c.add(None, "", "文件为空 / the file is empty")
        return None, c.problems
    if (extra := _alias_nodes(root)) > MAX_ALIAS_NODES:
        c.add(root, "", f"别名（*）展开后多出 {extra} 个节点，超过上限 {MAX_ALIAS_NODES}；请直接写出各项 / aliases expand past the limit")
        return None, c.problems
    top = _mapping(root, c, "", _TOP_KEYS)
    if top is None:
        return None, c.problems

    def text_field(key: str, *, required: bool) -> str:
        node = top.get(key)
        value = _scalar(node) if node is not None else None
        if value is None or not value.strip():
            if required:
                c.add(node or root, "", f"缺少 '{key}'；请填写清单版本，如 {key}: \"2025-05-30\" / missing '{key}'")
            return ""
        return value.strip()

    version = text_field("version", required=True)
    effect_text = text_field("effect", required=False) or Effect.RESTRICT.value
    try:
        effect = Effect(effect_text)
    except ValueError:
        c.add(top.get("effect"), "", f"effect 应为 restrict 或 supervise，而非 '{effect_text}'")
        effect = Effect.RESTRICT

    terms_node = top.get("terms")
    if not isinstance(terms_node, yaml.SequenceNode) or not terms_node.value:
        c.add(terms_node or root, "", "缺少 'terms' 列表或列表为空 / 'terms' must be a non-empty list")
        terms_node = None

    terms: list[Term] = []
    # folded form -> (term it belongs to, what it is) for duplicate detection
    seen: dict[str, tuple[str, str, int]] = {}
    for item in terms_node.value if terms_node is not None else []:
        term = _parse_term(item, c, seen)
        if term is not None:
            terms.append(term)

    digest = hashlib.sha256(raw)
    senses: list[Sense] = []
    senses_name = text_field("senses", required=False)
    if senses_name:
        table = _senses_path(path, senses_name)
        table_raw = _read_senses(table, top["senses"], c, senses, terms)
        digest.update(table_raw)
        terms = _with_other_senses(terms, senses)

    result = KeywordList(
        name=text_field("name", required=False) or path.stem,
        title=text_field("title", required=False),
        version=version,
        source=text_field("source", required=False),
        effect=effect,
        terms=tuple(terms),
        sha256=digest.hexdigest(),
        path=str(path),
        senses=tuple(senses),
    )
    return (None if c.problems else result), c.problems


def _senses_path(list_path: Path, name: str) -> Path:
    """A list's senses table: beside the list, else (for a copy of a bundled list made
    elsewhere to be edited) the package's table of that name."""
    beside = list_path.parent / name
    if beside.exists() or Path(name).is_absolute():
        return beside
    bundled = bundled_list_path(name)
    return bundled if bundled.exists() else beside


def _read_senses(table: Path, node: yaml.Node, c: _Collector, out: list[Sense], terms: list[Term]) -> bytes:
    """Read and check a senses table (TSV: word, term, sense, reason; # comments) into
    ``out``; its problems are named by the table's own path and line. Returns its bytes."""
    try:
        raw = table.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        c.add(node, "", f"无法读取词义表 {table} / cannot read the senses table: {exc.strerror or exc}")
        return b""
    except UnicodeDecodeError:
        c.add(node, "", f"词义表 {table} 不是 UTF-8 编码 / the senses table is not UTF-8")
        return b""
    forms = {t.term: [basic_fold(f) for f in (t.term, *t.synonyms)] for t in terms}
    seen: dict[str, Sense] = {}
    header_seen = False

    def problem(line: int, entry: str, message: str) -> None:
        c.problems.append(ListProblem(str(table), line, entry, message))

    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if not header_seen:
            header_seen = True
            if tuple(cell.strip() for cell in cells) != SENSES_HEADER:
                problem(line_no, "", f"表头应为 {' '.join(SENSES_HEADER)}（以制表符分隔）/ bad header")
            continue
        if len(cells) != len(SENSES_HEADER):
            problem(line_no, "", f"应有 {len(SENSES_HEADER)} 列（词、字样、词义、理由，以制表符分隔），实有 {len(cells)} 列 / wrong number of columns")
            continue
        word, term, sense, reason = (cell.strip() for cell in cells)
        if not word:
            problem(line_no, "", "词为空 / empty word")
            continue
        if sense not in SENSES:
            problem(line_no, word, f"词义应为 {'、'.join(SENSES)} 之一，而非 '{sense}' / unknown sense")
            continue
        if not reason:
            problem(line_no, word, "缺少理由；写明该词为何属此词义 / missing reason")
            continue
        folded = basic_fold(word)
        if term not in forms:
            # A row for a term this list does not hold (a list edited from the bundled
            # one, without 拍卖) applies to nothing; it must still be well-formed.
            if not term or basic_fold(term) not in folded:
                problem(line_no, word, f"词 '{word}' 不含字样 '{term}' / the word does not contain its term")
            continue
        if folded in forms[term]:
            problem(line_no, word, "词与字样本身相同；词义表只收含该字样的更长的词 / the word is the term itself")
            continue
        if not any(f and f in folded for f in forms[term]):
            problem(line_no, word, f"词 '{word}' 不含字样 '{term}' 或其同义词 / the word does not contain its term")
            continue
        earlier = seen.get(folded)
        if earlier is not None:
            if earlier.sense != sense:
                problem(line_no, word, f"同一词既标为 {earlier.sense}（第{earlier.line}行）又标为 {sense}；只保留一种词义 / both senses")
            else:
                problem(line_no, word, f"与第{earlier.line}行重复 / duplicate row")
            continue
        row = Sense(word, term, sense, reason, line_no)
        seen[folded] = row
        out.append(row)
    if not header_seen:
        problem(0, "", "词义表为空 / the senses table is empty")
    return raw


def _with_other_senses(terms: list[Term], senses: list[Sense]) -> list[Term]:
    """Each term with the words of its other senses added as exclusions."""
    extra: dict[str, list[Exclusion]] = {}
    for s in senses:
        if s.sense == "other":
            extra.setdefault(s.term, []).append(Exclusion(s.word, SuppressReason.OTHER_SENSE, s.line, s.reason))
    return [replace(t, exclusions=t.exclusions + tuple(extra[t.term])) if t.term in extra else t for t in terms]


def _parse_term(item: yaml.Node, c: _Collector, seen: dict[str, tuple[str, str, int]]) -> Term | None:
    fields = _mapping(item, c, "", _TERM_KEYS)
    if fields is None:
        return None
    term_node = fields.get("term")
    if _not_text(term_node):
        c.add(term_node, "", _not_text_message("term", term_node))
        return None
    word = _scalar(term_node) if term_node is not None else None
    if term_node is None or word is None or not word.strip():
        c.add(term_node or item, "", "term 为空或缺失；填写字样或删除该条 / empty or missing term")
        return None
    if word != word.strip():
        c.add(term_node, word.strip(), "term 两端有空白；请删去空白 / term has surrounding white space")
    word = word.strip()
    ok = True

    category_node = fields.get("category")
    category_text = _scalar(category_node) if category_node is not None else None
    try:
        category = Category(int(category_text or ""))
    except ValueError:
        c.add(category_node or item, word, f"未知类别 '{category_text}'；应为 1–6（附件2 备注2 的六类）/ unknown category")
        category = Category.OTHER
        ok = False

    methods = []
    for method, node in _str_list(fields.get("methods"), c, word, "methods"):
        if method not in FUNDRAISING_METHODS:
            c.add(node, word, f"未知集资方式 '{method}'；应为附件2 备注3 所列之一：{'、'.join(FUNDRAISING_METHODS)} / unknown method")
            ok = False
        methods.append(method)

    def claim(form: str, node: yaml.Node, what: str) -> bool:
        key = basic_fold(form)
        if not key or not _visible(form):
            c.add(node, word, f"{what} '{form}' 只含空白或噪声等不可见字符 / {what} has no visible character")
            return False
        line = node.start_mark.line + 1
        if key in seen:
            owner, owner_what, owner_line = seen[key]
            if owner == word:
                c.add(node, word, f"{what} '{form}' 与本词条的{owner_what}（第{owner_line}行）重复；删除其一 / duplicate within the term")
            elif owner_what == "词条" and what == "同义词":
                c.add(node, word, f"同义词 '{form}' 是另一词条 '{owner}'（第{owner_line}行）；删除该同义词或合并两个词条 / synonym is another term")
            elif owner_what == "同义词" and what == "词条":
                c.add(node, word, f"词条 '{form}' 已是词条 '{owner}' 的同义词（第{owner_line}行）；删除其一 / term is another term's synonym")
            else:
                c.add(node, word, f"{what} '{form}' 与词条 '{owner}' 的{owner_what}（第{owner_line}行）重复；只保留一处 / duplicate {what} across terms")
            return False
        seen[key] = (word, what, line)
        return True

    ok &= claim(word, term_node, "词条")
    synonyms = []
    for syn, node in _str_list(fields.get("synonyms"), c, word, "synonyms"):
        ok &= claim(syn, node, "同义词")
        synonyms.append(syn.strip())

    exclusions = []
    forms = [basic_fold(word)] + [basic_fold(s) for s in synonyms]
    ex_node = fields.get("exclusions")
    if ex_node is not None and not isinstance(ex_node, yaml.SequenceNode):
        c.add(ex_node, word, "exclusions 应为列表 / exclusions must be a list")
        ok = False
    for ex in ex_node.value if isinstance(ex_node, yaml.SequenceNode) else []:
        if _not_text(ex):
            c.add(ex, word, _not_text_message("exclusion", ex))
            ok = False
            continue
        pattern, reason = _scalar(ex), SuppressReason.EXCLUSION.value
        if pattern is None:
            ex_fields = _mapping(ex, c, word, _EXCLUSION_KEYS)
            if ex_fields is None:
                ok = False
                continue
            pattern_node = ex_fields.get("pattern")
            pattern = _scalar(pattern_node) if pattern_node is not None else None
            reason_node = ex_fields.get("reason")
            reason = (_scalar(reason_node) if reason_node is not None else None) or reason
            if reason not in _EXCLUSION_REASONS:
                c.add(reason_node, word, f"exclusion reason 应为 place_name 或 exclusion，而非 '{reason}'")
                ok = False
                continue
        if not pattern or not pattern.strip():
            c.add(ex, word, "exclusion 为空 / empty exclusion pattern")
            ok = False
            continue
        if not any(f and f in basic_fold(pattern) for f in forms):
            c.add(ex, word, f"排除项 '{pattern}' 不含词条 '{word}' 或其同义词；排除项应是含该字样的更长写法，如 互助 → 互助县 / exclusion does not contain its term")
            ok = False
            continue
        exclusions.append(Exclusion(pattern.strip(), SuppressReason(reason), ex.start_mark.line + 1))

    heads = []
    for head, node in _str_list(fields.get("heads"), c, word, "heads"):
        if not basic_fold(head) or not _visible(head):
            c.add(node, word, f"中心词 '{head}' 只含空白、噪声或不可见字符 / head has no visible character")
            ok = False
        heads.append(head.strip())

    if not ok:
        return None
    return Term(
        term=word,
        category=category,
        methods=tuple(methods),
        synonyms=tuple(synonyms),
        exclusions=tuple(exclusions),
        line=term_node.start_mark.line + 1,
        heads=tuple(heads),
    )
