"""A realistic, seeded corpus of registry records for benchmarks.

Names are place + trade name + industry word + organisation form; scopes are 3–10
items of the national business-scope catalogue joined by ；. All from the real data in
data/public (see its README and licences). About 4% of records carry a term of the
list, about 1% a variant of one (full-width, traditional, noise inside the term), and
some carry negation clauses and the traps of the core issue (诚信用心, 互助县 …).

    python benchmarks/corpus.py -n 100000 -o out/corpus.csv
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "data" / "public"

NEGATIONS = ("（不含{t}）", "（不得从事{t}业务）", "（除{t}外）")
TRAPS = (
    ("诚信用心", "name"),
    ("通信用光缆销售", "scope"),
    ("电信用户服务", "scope"),
    ("互助县", "name"),
    ("互助土族自治县", "name"),
    ("累积分数卡销售", "scope"),
    ("相互助力", "scope"),
)
FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}
NOISE = (" ", "·", "\u200b", "*", "_", "-", "　")


@dataclass(frozen=True)
class Record:
    name: str
    scope: str
    planted: str  # the canonical term planted, or ""
    variant: bool


def _lines(name: str) -> list[str]:
    return [s.strip() for s in (PUBLIC / name).read_text(encoding="utf-8").splitlines() if s.strip()]


class CorpusMaker:
    def __init__(self, *, seed: int = 20250530) -> None:
        import opencc

        from fangfei_screen import bundled_list_path, load_list

        self.rng = random.Random(seed)
        self.terms = load_list(bundled_list_path()).terms
        forms = [t.term for t in self.terms] + [s for t in self.terms for s in t.synonyms]
        lowered = [f.lower() for f in forms]

        def clean(text: str) -> bool:
            low = text.lower()
            return not any(f in low for f in lowered)

        places = set()
        for line in _lines("pca.csv")[1:]:
            parts = line.split(",")
            places.update(p for p in parts[1:4] if p)
        self.places = sorted(p for p in places if clean(p))
        self.trade_names = [t for t in _lines("trade_names.txt") if 2 <= len(t) <= 4 and clean(t)]
        self.industries = [t for t in _lines("trade.txt") if clean(t)]
        self.suffixes = [s for s in _lines("suffix.txt") if clean(s)]
        items = []
        for line in _lines("scope_catalogue.txt"):
            _, _, item = line.partition(" ")
            if item and not item.endswith(("、", "（", "，")) and item.count("（") == item.count("）") and clean(item):
                items.append(item)
        self.items = items
        self.s2t = opencc.OpenCC("s2t")

    def _name(self) -> str:
        r = self.rng
        return r.choice(self.places) + r.choice(self.trade_names) + r.choice(self.industries) + r.choice(self.suffixes)

    def _scope(self) -> list[str]:
        return self.rng.sample(self.items, self.rng.randint(3, 10))

    def _variant(self, form: str) -> str:
        r = self.rng
        how = r.randrange(3)
        if how == 0 and any(c in FULLWIDTH for c in form):
            return "".join(FULLWIDTH.get(c, c) for c in form.upper())
        if how == 1:
            trad = self.s2t.convert(form)
            if trad != form:
                return trad
        return r.choice(NOISE).join(form)

    def records(self, n: int) -> Iterator[Record]:
        r = self.rng
        for _ in range(n):
            name, scope = self._name(), self._scope()
            planted, variant = "", False
            roll = r.random()
            if roll < 0.05:
                term = r.choice(self.terms)
                form = term.term if not term.synonyms or r.random() < 0.7 else r.choice(term.synonyms)
                variant = roll < 0.01
                text = self._variant(form) if variant else form
                planted = term.term
                if r.random() < 0.3:
                    name = r.choice(self.places) + text + r.choice(self.suffixes)
                else:
                    scope.insert(r.randrange(len(scope) + 1), text + r.choice(("服务", "咨询", "", "业务")))
            elif roll < 0.06:
                scope[-1] += r.choice(NEGATIONS).format(t=r.choice(self.terms).term)
            elif roll < 0.07:
                trap, where = r.choice(TRAPS)
                if where == "name":
                    name = trap + r.choice(self.trade_names) + r.choice(self.suffixes)
                else:
                    scope.append(trap)
            yield Record(name, "；".join(scope), planted, variant)


def write_csv(records: Iterator[Record], path: Path) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "企业名称", "企业类型", "成立日期", "登记状态", "经营范围"])
        for i, rec in enumerate(records):
            w.writerow([f"91340323MA{i:08d}", rec.name, "有限责任公司", "2019-04-01", "存续", rec.scope])
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=20250530)
    args = ap.parse_args()
    n = write_csv(CorpusMaker(seed=args.seed).records(args.n), args.output)
    print(f"wrote {n} records to {args.output}")


if __name__ == "__main__":
    main()
