"""Precision figures on the bundled public data: what counts and what is suppressed.

    .venv/bin/python benchmarks/precision.py                  # print the section (Markdown)
    .venv/bin/python benchmarks/precision.py --write-results  # also put it in benchmarks/RESULTS.md
    .venv/bin/python benchmarks/precision.py --before-after [--rows 100000] [--before 5f34117] [--write-results]

--before-after screens the bundled public data and a seeded realistic register
(precision_corpus.py) as existing entities, with this checkout and with an old commit
(``git archive`` of its src/ into a temporary directory, imported in a subprocess), and
prints the rows per action and the rows per suppression reason of each, before and
after (issue 16). Actions are counted by their value, whatever the version defines.

Screens every item of the national business-scope catalogue as a scope, and every full
name (full_names.txt) and trade name (trade_names.txt) as a name, with the bundled list,
and prints per source: the counted hits per term, the suppressed matches per reason, and
the catalogue items that still count (each one is a real use of a listed word to read).
Deterministic: the same data and list give the same figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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
    write_section(text, START, END)


# -- before and after (issue 16) -------------------------------------------------

BA_START, BA_END = "<!-- precision-before-after -->", "<!-- /precision-before-after -->"
COST_START, COST_END = "<!-- precision-cost -->", "<!-- /precision-cost -->"
AS_OF = "2026-01-01"


def public_records() -> list[tuple[str, str, str]]:
    """(group, name, scope) rows of the bundled public data: every catalogue item as a
    scope, every full name and trade name as a name."""
    rows = [("catalogue items (as scopes)", "", item) for item in catalogue_items()]
    rows += [("full names", name, "") for name in lines("full_names.txt")]
    rows += [("trade names", name, "") for name in lines("trade_names.txt")]
    return rows


def tally_rows(rows: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, Any]]:
    """Per group: rows, rows per action (by value) and rows with a suppressed hit per
    reason, screening every row as an existing entity with the bundled list of the
    fangfei_screen that is imported (this checkout or an old one)."""
    import fangfei_screen

    screener = fangfei_screen.Screener()
    rows = list(rows)
    results = screener.screen_many(({"name": n, "scope": s} for _, n, s in rows), kind="existing", as_of=AS_OF)
    out: dict[str, dict[str, Any]] = {}
    for (group, _, _), r in zip(rows, results, strict=True):
        g = out.setdefault(group, {"rows": 0, "actions": Counter(), "reasons": Counter()})
        g["rows"] += 1
        g["actions"][str(r.action.value)] += 1
        g["reasons"].update({str(h.reason.value) for h in r.suppressed if h.reason is not None})
    return out


def _run_tally(rows_file: Path, src: Path | None, *, mode: str = "--tally") -> dict[str, Any]:
    """tally_rows in a subprocess importing fangfei_screen from ``src`` (None: this checkout)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), mode, str(rows_file)],
        env=env, capture_output=True, text=True, check=False, cwd=str(rows_file.parent),
    )
    if done.returncode != 0:
        raise SystemExit(f"统计失败 / tally failed ({src or 'this checkout'}): {done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _old_source(commit: str, into: Path) -> Path:
    """src/ of ``commit``, written into ``into`` by git archive."""
    archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", commit, "src"], capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit(f"无法取出提交 {commit} / cannot archive {commit}: {archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _fmt(counter: dict[str, int]) -> str:
    return "，".join(f"{k} {v:,}" for k, v in sorted(counter.items(), key=lambda x: (-x[1], x[0]))) or "–"


def before_after(*, rows: int, commit: str, public: bool = True) -> str:
    """The Markdown section: the realistic register of ``rows`` rows (and the bundled
    public data unless ``public`` is False), screened before (``commit``) and after."""
    sys.path.insert(0, str(HERE))
    from precision_corpus import GROUPS, records  # noqa: PLC0415 (a sibling script)

    screener = Screener()
    corpus = [(r.group, r.name, r.scope) for r in records(rows, terms=[t.keyword for t in screener.terms])]
    answers = {g.key: g.answer for g in GROUPS}
    with tempfile.TemporaryDirectory(prefix="precision-") as tmp:
        where = Path(tmp)
        data = where / "rows.json"
        rows_in = {"public": public_records()} if public else {}
        rows_in["corpus"] = corpus
        data.write_text(json.dumps(rows_in, ensure_ascii=False), encoding="utf-8")
        old = _old_source(commit, where / "old")
        before, after = _run_tally(data, old), _run_tally(data, None)
    load = os.getloadavg()
    out = [
        BA_START,
        "## Precision before and after issue 16 (除外, name parts, registry boilerplate)",
        "",
        f"`benchmarks/precision.py --before-after --rows {rows:,}` screens each row as an existing entity (存量, as of {AS_OF})",
        f"with the bundled list of git {commit} (before) and of this checkout (after), each imported in a subprocess.",
        "Rows per action; rows with a suppressed hit per reason. The realistic register is `benchmarks/precision_corpus.py`",
        "(seed 16): each group is a kind of row built from real phrasing, with the plan's answer for it (`act`: a rename",
        "or revocation is right; `verify`: a licensed kind of institution, whose licence is to be verified, never a rename;",
        "`none`: nothing to act on). Actions are counted by value, so `verify_licence` appears once it exists.",
        f"Load average when run: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min; the figures are counts, not times).",
        "",
        "| rows | group | answer | n | actions before | actions after | suppressed (rows) before | suppressed (rows) after |",
        "| --- | --- | --- | ---: | --- | --- | --- | --- |",
    ]
    for source in [k for k in ("public", "corpus") if k in after]:
        groups = sorted(after[source], key=lambda g: (g != "clean", g)) if source == "corpus" else list(after[source])
        for g in groups:
            b, a = before[source][g], after[source][g]
            answer = answers.get(g, "–") if source == "corpus" else "–"
            label = "bundled public data" if source == "public" else "realistic register"
            out.append(
                f"| {label} | {g} | {answer} | {a['rows']:,} | {_fmt(b['actions'])} | {_fmt(a['actions'])} | {_fmt(b['reasons'])} | {_fmt(a['reasons'])} |"
            )
    acting = {"block", "order_rename", "propose_revocation"}

    def wrong(t: dict[str, dict[str, Any]]) -> tuple[int, int]:
        flagged = bad = 0
        for g, v in t["corpus"].items():
            k = sum(c for act, c in v["actions"].items() if act in acting)
            flagged += k
            if answers.get(g) != "act":
                bad += k
        return flagged, bad

    (fb, wb), (fa, wa) = wrong(before), wrong(after)
    missed_b = sum(v["actions"].get("pass", 0) for g, v in before["corpus"].items() if answers.get(g) == "act")
    missed_a = sum(v["actions"].get("pass", 0) for g, v in after["corpus"].items() if answers.get(g) == "act")
    out += [
        "",
        f"Realistic register: rows ordered to rename or revoke {fb:,} before, {fa:,} after; of them not to be acted on by the",
        f"plan's meaning {wb:,} before ({wb / fb:.1%}), {wa:,} after ({(wa / fa if fa else 0):.1%}); `act` rows left passing {missed_b:,} before, {missed_a:,} after.",
        (
            "The licensed institutions (`verify` groups) get `verify_licence` (issue 16 part 1), not a rename order."
            if any("verify_licence" in v["actions"] for v in after["corpus"].values())
            else "The licensed institutions (`verify` groups) are issue 16 part 1: without it they stay `order_rename`."
        ),
        "The register is built from the phrasings these rules were written for: it shows that they hold on those rows and",
        "on the clean and truly flagged rows around them, not the precision on a real register (issue 16's hand-labelled sample).",
        BA_END,
    ]
    return "\n".join(out) + "\n"


def time_rows(rows: list[tuple[str, str, str]], *, repeat: int = 3) -> dict[str, float]:
    """CPU seconds of screen_many over the clean rows and over all rows (best of
    ``repeat``), with the screener built and warmed up beforehand."""
    import gc
    import time

    import fangfei_screen

    screener = fangfei_screen.Screener().warm_up()
    sets = {
        "clean": [{"name": n, "scope": s} for g, n, s in rows if g == "clean"],
        "all": [{"name": n, "scope": s} for _, n, s in rows],
    }
    out = {}
    for key, records in sets.items():
        for _ in screener.screen_many(records[:2000], kind="existing", as_of=AS_OF):
            pass
        best = float("inf")
        for _ in range(repeat):
            gc.collect()
            t = time.process_time()
            for _ in screener.screen_many(records, kind="existing", as_of=AS_OF):
                pass
            best = min(best, time.process_time() - t)
        out[key] = best
        out[key + "_rows"] = len(records)
    return out


def cost(*, rows: int, commit: str, rounds: int) -> str:
    """CPU per row of screen_many before and after, the two interleaved ``rounds`` times."""
    sys.path.insert(0, str(HERE))
    from precision_corpus import records  # noqa: PLC0415

    corpus = [(r.group, r.name, r.scope) for r in records(rows, terms=[t.keyword for t in Screener().terms])]
    runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="precision-") as tmp:
        where = Path(tmp)
        data = where / "rows.json"
        data.write_text(json.dumps(corpus, ensure_ascii=False), encoding="utf-8")
        old = _old_source(commit, where / "old")
        for _ in range(rounds):
            runs["before"].append(_run_tally(data, old, mode="--time"))
            runs["after"].append(_run_tally(data, None, mode="--time"))
    load = os.getloadavg()
    out = ["| screen_many, existing | rows | before µs/row (best of rounds) | after µs/row | after / before |", "| --- | ---: | ---: | ---: | ---: |"]
    for key in ("clean", "all"):
        b = min(r[key] for r in runs["before"]) / runs["before"][0][key + "_rows"] * 1e6
        a = min(r[key] for r in runs["after"]) / runs["after"][0][key + "_rows"] * 1e6
        out.append(f"| {key} rows of the realistic register | {int(runs['after'][0][key + '_rows']):,} | {b:.1f} | {a:.1f} | {a / b:.2f} |")
    out.append("")
    out.append(f"CPU time (process_time), {rounds} interleaved rounds of best-of-3, git {commit} vs this checkout; load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}.")
    return "\n".join(out) + "\n"


def write_section(text: str, start: str, end: str) -> None:
    """Put a marked section into RESULTS.md, in place of the previous one, else before
    the speed results."""
    path = HERE / "RESULTS.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end) + "\n?", re.DOTALL)
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
    ap.add_argument("--before-after", action="store_true", help="rows per action and reason, before (--before) and after")
    ap.add_argument("--before", default="5f34117", help="the commit to compare with (default: 5f34117, main before issue 16)")
    ap.add_argument("--rows", type=int, default=100_000, help="rows of the realistic register (default 100000)")
    ap.add_argument("--cost", type=int, metavar="ROUNDS", help="CPU per row before and after, ROUNDS interleaved rounds")
    ap.add_argument("--tally", type=Path, help=argparse.SUPPRESS)  # the subprocess's side
    ap.add_argument("--time", type=Path, help=argparse.SUPPRESS)  # the subprocess's side
    args = ap.parse_args(argv)
    if args.time is not None:
        print(json.dumps(time_rows([tuple(r) for r in json.loads(args.time.read_text(encoding="utf-8"))])))
        return 0
    if args.cost:
        text = "\n".join([COST_START, "### What the rules of issue 16 cost", "", cost(rows=args.rows, commit=args.before, rounds=args.cost) + COST_END, ""])
        print(text, end="")
        if args.write_results:
            write_section(text, COST_START, COST_END)
        return 0
    if args.tally is not None:
        data = json.loads(args.tally.read_text(encoding="utf-8"))
        print(json.dumps({k: tally_rows(map(tuple, v)) for k, v in data.items()}, ensure_ascii=False))
        return 0
    if args.before_after:
        text = before_after(rows=args.rows, commit=args.before)
        print(text, end="")
        if args.write_results:
            write_section(text, BA_START, BA_END)
        return 0
    text = section(Screener().warm_up())
    print(text, end="")
    if args.write_results:
        write_results(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
