"""The words a senses table must classify: every word of jieba's dictionary and of the
bundled public data (catalogue items, trade names, industry words) that holds a form of
a listed term, and which of them the table has no row for.

    .venv/bin/python scripts/senses_candidates.py [LIST.yaml]    # prints the missing ones, TSV

Each missing word is printed as a row to review (word, term, sources; sense and reason
left for the reviewer). Exit 1 when any is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fangfei_screen.boundary import load_dictionary
from fangfei_screen.lexicon import KeywordList, bundled_list_path, load_list
from fangfei_screen.models import SuppressReason
from fangfei_screen.normalize import basic_fold

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "data" / "public"


def dictionary_words() -> dict[str, set[str]]:
    """Every word of the sources, with the sources it comes from."""
    words: dict[str, set[str]] = {}
    freq, _, _ = load_dictionary()
    for word, count in freq.items():
        if count > 0:
            words.setdefault(word, set()).add("jieba")
    for line in (PUBLIC / "scope_catalogue.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2:
            words.setdefault(parts[1].strip(), set()).add("catalogue")
    for name, tag in (("trade_names.txt", "trade_names"), ("trade.txt", "trade")):
        for line in (PUBLIC / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                words.setdefault(line.strip(), set()).add(tag)
    return words


def candidates(keyword_list: KeywordList) -> dict[str, tuple[str, set[str]]]:
    """word -> (the term whose form it holds, its sources), for every source word that
    holds a form of a term and is longer than it; words the list already excludes (互助县,
    微积分) are left out."""
    forms = {basic_fold(f): t.term for t in keyword_list.terms for f in (t.term, *t.synonyms)}
    listed = {
        basic_fold(x.pattern) for t in keyword_list.terms for x in t.exclusions if x.reason is not SuppressReason.OTHER_SENSE
    }
    out: dict[str, tuple[str, set[str]]] = {}
    for word, sources in dictionary_words().items():
        folded = basic_fold(word)
        if folded in listed:
            continue
        for form, term in forms.items():
            if form in folded and form != folded:
                out.setdefault(word, (term, sources))
    return out


def main(argv: list[str]) -> int:
    keyword_list = load_list(argv[0] if argv else bundled_list_path())
    classified = {basic_fold(s.word) for s in keyword_list.senses}
    missing = sorted((term, word, ",".join(sorted(src))) for word, (term, src) in candidates(keyword_list).items()
                     if basic_fold(word) not in classified)
    for term, word, src in missing:
        print(f"{word}\t{term}\t?\t({src})")
    print(f"{len(missing)} 个词未分类 / words without a row", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
