"""Benchmarks: the screener against its peers and the raw scan floor, in one run, on one corpus.

    .venv/bin/python benchmarks/run.py                  # 1,000,000 records, every engine
    .venv/bin/python benchmarks/run.py -n 20000 --engines floor,screen_many --repeat 1
    .venv/bin/python benchmarks/run.py --write-results  # also rewrite benchmarks/RESULTS.md

Each engine runs in its own process on the same pickled corpus (so peak RSS is its
own), single-threaded, ``--repeat`` times; the median is reported. Ratios are to the
floor's median in the same run. Nothing here is a test: the targets are printed as
met or not met.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

ENGINES = ("naive", "regex", "flashtext", "floor", "floor_iterate_only", "pipeline", "screen_many")
PEERS = ("naive", "regex", "flashtext", "floor")

Found = dict[int, tuple[str, ...]]  # record index -> canonical terms found (only where any)


def _forms() -> dict[str, str]:
    from fangfei_screen import bundled_list_path, load_list

    forms = {}
    for t in load_list(bundled_list_path()).terms:
        forms[t.term] = t.term
        for s in t.synonyms:
            forms[s] = t.term
    return forms


# -- engines: each takes [(name, scope)] and returns (run, collect) --------------------


def engine_naive(records: list[tuple[str, str]]) -> Callable[[], list[list[str]]]:
    forms = _forms()
    terms = list(forms)

    def run() -> list[list[str]]:
        return [[t for t in terms if t in name] + [t for t in terms if t in scope] for name, scope in records]

    return run


def engine_regex(records: list[tuple[str, str]]) -> Callable[[], list[list[str]]]:
    forms = _forms()
    pattern = re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))
    finditer = pattern.finditer

    def run() -> list[list[str]]:
        return [[m.group() for m in finditer(name)] + [m.group() for m in finditer(scope)] for name, scope in records]

    return run


def engine_flashtext(records: list[tuple[str, str]]) -> Callable[[], list[list[str]]]:
    from flashtext import KeywordProcessor

    kp = KeywordProcessor(case_sensitive=True)
    for form, term in _forms().items():
        kp.add_keyword(form, term)
    extract = kp.extract_keywords

    def run() -> list[list[str]]:
        return [extract(name) + extract(scope) for name, scope in records]

    return run


def _raw_automaton() -> object:
    import ahocorasick

    a = ahocorasick.Automaton()
    for form, term in _forms().items():
        a.add_word(form, term)
    a.make_automaton()
    return a


def engine_floor(records: list[tuple[str, str]]) -> Callable[[], list[list[str]]]:
    """Raw Automaton.iter over each field of each record, keeping what it finds."""
    it = _raw_automaton().iter  # type: ignore[attr-defined]

    def run() -> list[list[str]]:
        out = []
        for name, scope in records:
            found = []
            for _, term in it(name):
                found.append(term)
            for _, term in it(scope):
                found.append(term)
            out.append(found)
        return out

    return run


def engine_floor_iterate_only(records: list[tuple[str, str]]) -> Callable[[], list[list[str]]]:
    """The same passes, keeping nothing: the bare cost of stepping the automaton."""
    it = _raw_automaton().iter  # type: ignore[attr-defined]

    def run() -> list[list[str]]:
        for name, scope in records:
            for _ in it(name):
                pass
            for _ in it(scope):
                pass
        return []

    return run


def engine_pipeline(records: list[tuple[str, str]]) -> Callable[[], list[list[str]]]:
    """What a careful user would write: NFKC, lower case, OpenCC t2s on every record, the
    automaton, then jieba (a private Tokenizer, its default cut) over every field that
    hits, keeping hits on word boundaries."""
    import ahocorasick
    import jieba
    import opencc

    cc = opencc.OpenCC("t2s")
    tk = jieba.Tokenizer()
    with tk.get_dict_file() as f:
        tk.FREQ, tk.total = tk.gen_pfdict(f)
    tk.initialized = True
    a = ahocorasick.Automaton()
    for form, term in _forms().items():
        key = cc.convert(unicodedata.normalize("NFKC", form).lower())
        a.add_word(key, (len(key), term))
    a.make_automaton()

    def field(text: str) -> list[str]:
        t = cc.convert(unicodedata.normalize("NFKC", text).lower())
        hits = [(end + 1 - n, end + 1, term) for end, (n, term) in a.iter(t)]
        if not hits:
            return []
        cuts, pos = {0}, 0
        for w in tk.lcut(t):  # jieba's defaults, as a user would call it
            pos += len(w)
            cuts.add(pos)
        return [term for s, e, term in hits if s in cuts and e in cuts or not any(s < c < e for c in cuts)]

    def run() -> list[list[str]]:
        return [field(name) + field(scope) for name, scope in records]

    return run


def engine_screen_many(records: list[tuple[str, str]]) -> Callable[[], list[list[str]]]:
    from fangfei_screen import Screener

    screener = Screener().warm_up()
    dicts = [{"name": n, "scope": s} for n, s in records]

    def run() -> list[list[str]]:
        out = []
        for memo in (getattr(screener, "_memo", None), getattr(screener, "_scope_memo", None)):
            if memo is not None:
                memo.cache_clear()  # each repeat starts cold: the screener remembers judged texts
        for r in screener.screen_many(dicts, kind="existing"):
            out.append([h.keyword for h in r.hits + r.suppressed] if r.hits or r.suppressed else [])
        return out

    return run


def child(engine: str, corpus: Path, repeat: int, out: Path) -> None:
    with corpus.open("rb") as f:
        data = pickle.load(f)
    records = [(r[0], r[1]) for r in data["records"]]
    run = globals()[f"engine_{engine}"](records)
    # The corpus and the engine's tables are not what is measured: keep the cyclic
    # garbage collector from walking them again and again during the runs.
    gc.collect()
    gc.freeze()
    times, result = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    forms = _forms()
    found: Found = {}
    for i, terms in enumerate(result):
        if terms:
            found[i] = tuple(sorted({forms.get(t, t) for t in terms}))
    with out.open("wb") as f:
        pickle.dump(
            {"seconds": statistics.median(times), "times": times, "found": found,
             "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
            f,
        )


def run_child(engine: str, corpus: Path, repeat: int, workdir: Path) -> dict:
    out = workdir / f"{engine}.pkl"
    subprocess.run(
        [sys.executable, __file__, "--child", engine, "--corpus", str(corpus), "--repeat", str(repeat), "--out", str(out)],
        check=True,
    )
    with out.open("rb") as f:
        return pickle.load(f)


def timed_command(cmd: list[str], repeat: int) -> tuple[float, float, list[float]]:
    """Median wall time and peak RSS (MB) of a whole command, over ``repeat`` runs."""
    times, peak = [], 0.0
    for _ in range(repeat):
        probe = (
            "import resource,subprocess,sys,time,json;t=time.perf_counter();"
            "subprocess.run(sys.argv[1:],check=True,stdout=subprocess.DEVNULL);"
            "print(json.dumps([time.perf_counter()-t,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024]))"
        )
        out = subprocess.run([sys.executable, "-c", probe, *cmd], check=True, capture_output=True, text=True).stdout
        seconds, rss = json.loads(out.strip().splitlines()[-1])
        times.append(seconds)
        peak = max(peak, rss)
    return statistics.median(times), peak, times


def load_time(repeat: int) -> tuple[float, float]:
    """Median seconds to import, load the bundled list and build the automaton, without
    and with jieba's start, each in a fresh interpreter."""
    probe = (
        "import time;t=time.perf_counter();from fangfei_screen import Screener;s=Screener();"
        "b=time.perf_counter()-t;s.warm_up();print(b, time.perf_counter()-t)"
    )
    builds, warms = [], []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.split()
        builds.append(float(out[0]))
        warms.append(float(out[1]))
    return statistics.median(builds), statistics.median(warms)


def covered(term: str, others: tuple[str, ...], forms: dict[str, list[str]]) -> bool:
    """A term found by a peer counts as found by the screener when the screener found it,
    or a term one of whose forms contains it (消费返利 for 返利, 车辆互助统筹 for 互助):
    overlaps resolve to the longest match."""
    return any(term in form for o in others for form in forms.get(o, [o]))


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, {cpu or 'unknown CPU'}; Python {platform.python_version()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=1_000_000, help="records in the corpus")
    ap.add_argument("--engines", default=",".join(ENGINES) + ",scan", help="comma-separated; 'scan' is the command")
    ap.add_argument("--repeat", type=int, default=3, help="runs per engine; the median is reported")
    ap.add_argument("--seed", type=int, default=20250530)
    ap.add_argument("--profile", choices=("synthetic", "registry", "both"), default="both",
                    help="which corpus (benchmarks/corpus.py --profile); both by default")
    ap.add_argument("--workdir", type=Path, help="where the corpus and outputs go (default: a temp dir)")
    ap.add_argument("--write-results", action="store_true", help="rewrite benchmarks/RESULTS.md")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.corpus, args.repeat, args.out)
        return 0

    engines = [e for e in args.engines.split(",") if e]
    unknown = set(engines) - set(ENGINES) - {"scan"}
    if unknown:
        ap.error(f"unknown engine(s): {', '.join(sorted(unknown))}")
    profiles = ["synthetic", "registry"] if args.profile == "both" else [args.profile]
    root = args.workdir or Path(tempfile.mkdtemp(prefix="fangfei-bench-"))
    sections = []
    for profile in profiles:
        workdir = root / profile if len(profiles) > 1 else root
        sections.append(f"### Corpus: {profile}\n\n" + run_profile(profile, engines, workdir, args))
    report = "\n\n".join(sections)
    print()
    print(report)
    if args.write_results:
        write_results(report, args)
    return 0


def run_profile(profile: str, engines: list[str], workdir: Path, args: argparse.Namespace) -> str:
    """Every engine on one corpus; the report as Markdown."""
    from corpus import CorpusMaker, write_csv

    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    records = list(CorpusMaker(seed=args.seed).records(args.n, profile=profile))
    corpus = workdir / "corpus.pkl"
    with corpus.open("wb") as f:
        pickle.dump({"records": [(r.name, r.scope, r.planted, r.variant) for r in records]}, f)
    planted = sum(1 for r in records if r.planted)
    variants = sum(1 for r in records if r.variant)
    print(f"corpus ({profile}): {args.n:,} records ({planted / args.n:.1%} with a term, {variants / args.n:.1%} variants), "
          f"made in {time.perf_counter() - t0:.1f} s, in {workdir}", flush=True)

    results: dict[str, dict] = {}
    for engine in engines:
        if engine == "scan":
            continue
        results[engine] = run_child(engine, corpus, args.repeat, workdir)
        print(f"  {engine:20s} {results[engine]['seconds']:8.2f} s", flush=True)

    lines = [f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f}", f"Corpus: {args.n:,} records ({profile}), seed {args.seed}; "
             f"{planted / args.n:.1%} carry a term, {variants / args.n:.1%} a variant; median of {args.repeat} runs.", ""]
    floor = results.get("floor", {}).get("seconds")
    lines += ["| engine | records/s | time (s) | × floor | peak RSS (MB) | records with a term found |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for engine, res in results.items():
        ratio = f"{res['seconds'] / floor:.2f}" if floor else "–"
        lines.append(f"| {engine} | {args.n / res['seconds']:,.0f} | {res['seconds']:.2f} | {ratio} | "
                     f"{res['max_rss_mb']:.0f} | {len(res['found']):,} |")

    checks: list[str] = []
    if "screen_many" in results:
        mine = results["screen_many"]["found"]
        forms_of: dict[str, list[str]] = {}
        for form, term in _forms().items():
            forms_of.setdefault(term, []).append(form)
        clean = [i for i, r in enumerate(records) if not r.variant]
        for peer in PEERS:
            if peer not in results:
                continue
            theirs = results[peer]["found"]
            missed = sum(1 for i in clean if i in theirs and not all(covered(t, mine.get(i, ()), forms_of) for t in theirs[i]))
            checks.append(f"variant-free records where screen_many misses a term {peer} finds: {missed}")
        var_idx = [i for i, r in enumerate(records) if r.variant]
        for engine in [*PEERS, "pipeline", "screen_many"]:
            if engine in results:
                got = sum(1 for i in var_idx if records[i].planted in results[engine]["found"].get(i, ()))
                checks.append(f"variants found by {engine}: {got:,} of {len(var_idx):,}")

    targets: list[tuple[str, bool]] = []
    if floor and "screen_many" in results:
        r = results["screen_many"]["seconds"] / floor
        targets.append((f"screen_many at most 2.0× the floor: {r:.2f}×", r <= 2.0))
        if "floor_iterate_only" in results:
            r2 = results["screen_many"]["seconds"] / results["floor_iterate_only"]["seconds"]
            checks.append(f"screen_many against the floor that keeps nothing: {r2:.2f}×")
    if "pipeline" in results and "screen_many" in results:
        r = results["pipeline"]["seconds"] / results["screen_many"]["seconds"]
        targets.append((f"screen_many at least 10× faster than the careful pipeline: {r:.1f}×", r >= 10))

    if "scan" in engines:
        csv_path = workdir / "corpus.csv"
        write_csv(iter(records), csv_path)
        exe = [sys.executable, "-m", "fangfei_screen", "scan", str(csv_path), "--as-of", "2025-06-30"]
        read_probe = [sys.executable, "-c", f"import pandas as pd; pd.read_csv({str(csv_path)!r}, dtype=str)"]
        trip_probe = [sys.executable, "-c", f"import pandas as pd; pd.read_csv({str(csv_path)!r}, dtype=str)"
                      f".to_csv({str(workdir / 'pandas.csv')!r}, index=False)"]
        read_s, read_rss, _ = timed_command(read_probe, args.repeat)
        trip_s, trip_rss, _ = timed_command(trip_probe, args.repeat)
        scan1, rss1, _ = timed_command([*exe, "-o", str(workdir / "out1.csv"), "--jobs", "1"], args.repeat)
        scan2, rss2, _ = timed_command([*exe, "-o", str(workdir / "out2.csv"), "--jobs", "2"], args.repeat)
        same = (workdir / "out1.csv").read_bytes() == (workdir / "out2.csv").read_bytes()
        lines.append(f"| pandas read_csv (whole process) | {args.n / read_s:,.0f} | {read_s:.2f} | – | {read_rss:.0f} | – |")
        lines.append(f"| pandas read_csv + to_csv (whole process) | {args.n / trip_s:,.0f} | {trip_s:.2f} | – | {trip_rss:.0f} | – |")
        lines.append(f"| scan --jobs 1 (whole process) | {args.n / scan1:,.0f} | {scan1:.2f} | – | {rss1:.0f} | – |")
        lines.append(f"| scan --jobs 2 (whole process) | {args.n / scan2:,.0f} | {scan2:.2f} | – | {rss2:.0f} | – |")
        checks.append(f"scan --jobs 2 output identical to --jobs 1: {same}")
        if floor:
            bound = 3 * (read_s + floor)
            targets.append((f"scan at most 3× (read_csv + floor) = {bound:.2f} s: {scan1:.2f} s", scan1 <= bound))
        targets.append((f"scan --jobs 1 at most 1.0× the pandas round trip: {scan1 / trip_s:.2f}×", scan1 <= trip_s))
        targets.append((f"scan peak RSS under 300 MB: {max(rss1, rss2):.0f} MB", max(rss1, rss2) < 300))
        targets.append((f"scan --jobs 2 at least 1.85× faster than --jobs 1: {scan1 / scan2:.2f}×", scan1 / scan2 >= 1.85))

    build, warm = load_time(max(args.repeat, 3))
    targets.append((f"import + load list + build automaton + jieba start under 0.5 s: {warm:.3f} s "
                    f"(without jieba: {build:.3f} s)", warm < 0.5))

    lines += ["", "Checks:", *[f"- {c}" for c in checks], "", "Targets:",
              *[f"- {'met' if ok else 'NOT MET'}: {text}" for text, ok in targets]]
    return "\n".join(lines)


def write_results(report: str, args: argparse.Namespace) -> None:
    head = (HERE / "RESULTS.md").read_text(encoding="utf-8").split("<!-- results -->")[0] if (HERE / "RESULTS.md").exists() else ""
    cmd = f"benchmarks/run.py -n {args.n} --repeat {args.repeat} --profile {args.profile} --engines {args.engines}"
    body = f"<!-- results -->\nLast full run ({time.strftime('%Y-%m-%d')}), `{cmd}`:\n\n{report}\n"
    (HERE / "RESULTS.md").write_text(head + body, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
