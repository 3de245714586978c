"""Precision figures on the bundled public data: what counts and what is suppressed.

    .venv/bin/python benchmarks/precision.py                  # print the section (Markdown)
    .venv/bin/python benchmarks/precision.py --write-results  # also put it in benchmarks/RESULTS.md

Screens every item of the national business-scope catalogue as a scope, and every full
name (full_names.txt) and trade name (trade_names.txt) as a name, with the bundled list,
and prints per source: the counted hits per term, the suppressed matches per reason, and
the catalogue items that still count (each one is a real use of a listed word to read).
Deterministic: the same data and list give the same figures.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from fangfei_screen import Field, Screener

HERE = Path(__file__).resolve().parent
PUBLIC = HERE.parent / "data" / "public"
START, END = "<!-- precision -->", "<!-- /precision -->"


def catalogue_items() -> list[str]:
    items = []
    for line in (PUBLIC / "scope_catalogue.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2:
            items.append(parts[1].strip())
    return items


def lines(name: str) -> list[str]:
    return [x.strip() for x in (PUBLIC / name).read_text(encoding="utf-8").splitlines() if x.strip()]


def tally(screener: Screener, texts: Iterable[str], field: Field) -> tuple[int, int, Counter[str], Counter[str], list[str]]:
    """Texts screened, texts with a counted hit, counted hits per term, suppressed per
    reason (and term), and the texts that count."""
    n = flagged = 0
    counted: Counter[str] = Counter()
    suppressed: Counter[str] = Counter()
    flagged_texts = []
    for text in texts:
        n += 1
        scan = screener.scan(text, field)
        if scan.hits:
            flagged += 1
            flagged_texts.append(text)
        counted.update(h.keyword for h in scan.hits)
        suppressed.update(f"{h.reason.value} ({h.keyword})" for h in scan.suppressed if h.reason is not None)
    return n, flagged, counted, suppressed, flagged_texts


def by_reason(suppressed: Counter[str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for key, k in suppressed.items():
        out[key.split(" ", 1)[0]] += k
    return out


def section(screener: Screener) -> str:
    sources = [
        ("catalogue (scope_catalogue.txt, as scopes)", catalogue_items(), Field.SCOPE),
        ("full names (full_names.txt)", lines("full_names.txt"), Field.NAME),
        ("trade names (trade_names.txt)", lines("trade_names.txt"), Field.NAME),
        # the reviewed dictionary words themselves, to show each sense's outcome
        ("words of the senses table (senses.tsv, each alone as a scope)", [s.word for kl in screener.lists for s in kl.senses], Field.SCOPE),
    ]
    out = [
        START,
        "## Precision on the bundled public data",
        "",
        "`benchmarks/precision.py` (rerun it; `--write-results` rewrites this section) screens every item of the",
        "scope catalogue as a scope and every bundled name as a name with the bundled list "
        f"(version {screener.list_version}, sha256 {screener.list_sha256[:12]}…).",
        "",
        "| source | texts | with a counted hit | counted hits per term | suppressed per reason | suppressed per reason (term) |",
        "| --- | ---: | ---: | --- | --- | --- |",
    ]
    catalogue_flagged: list[str] = []
    for label, texts, field in sources:
        n, flagged, counted, suppressed, flagged_texts = tally(screener, texts, field)
        if field is Field.SCOPE:
            catalogue_flagged = flagged_texts
        terms = "，".join(f"{t} {k}" for t, k in sorted(counted.items(), key=lambda x: (-x[1], x[0]))) or "–"
        reasons = "，".join(f"{r} {k}" for r, k in sorted(by_reason(suppressed).items(), key=lambda x: (-x[1], x[0]))) or "–"
        detail = "，".join(f"{r} {k}" for r, k in sorted(suppressed.items(), key=lambda x: (-x[1], x[0]))) or "–"
        out.append(f"| {label} | {n:,} | {flagged:,} | {terms} | {reasons} | {detail} |")
    out += ["", f"Catalogue items that count ({len(catalogue_flagged)}): " + "；".join(catalogue_flagged) + "。", END]
    return "\n".join(out) + "\n"


def write_results(text: str) -> None:
    """Put the section into RESULTS.md: in place of the previous one, else before the
    speed results (whose own writer rewrites everything after its marker)."""
    path = HERE / "RESULTS.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END) + "\n?", re.DOTALL)
    if pattern.search(current):
        new = pattern.sub(lambda _: text, current)
    elif "<!-- results -->" in current:
        new = current.replace("<!-- results -->", text + "\n<!-- results -->", 1)
    else:
        new = current.rstrip("\n") + "\n\n" + text
    path.write_text(new, encoding="utf-8")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write-results", action="store_true", help="rewrite the precision section of benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    text = section(Screener().warm_up())
    print(text, end="")
    if args.write_results:
        write_results(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
