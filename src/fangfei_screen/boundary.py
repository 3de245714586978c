"""Word-boundary judgement with a private jieba tokenizer.

A hit is judged only when some dictionary word holds the two characters at one of its
edges; only then can a word run across that edge or hold the hit. The window around the
hit is segmented with jieba's default dictionary, HMM off, and the list's terms are NOT
added to that dictionary: forcing
them in would make jieba keep 信用 whole in 诚信用心, which is exactly what must be
caught. Instead each term's own segmentation (养老|服务, 云|养殖, 信用) tells which of
its inner joints a neighbouring word may legitimately take:

- a word that contains the whole hit is broken into its own parts and judged again
  (信用卡 → 信用|卡 stands; 通信用 → 通信|用 splits 信用);
- a word that crosses an edge of the hit splits it, unless what it takes of the hit
  is a whole part of two or more characters (养老服务中心 → 养老|服务中心 stands;
  诚信用心 → 诚信|用心 and 白云养殖 → 白云|养殖 do not).

When in doubt the hit stands: a hit a person reviews costs less than a miss.
"""

from __future__ import annotations

import marshal
import os
import re
import tempfile
import threading
from functools import lru_cache
from importlib.util import find_spec
from math import log
from pathlib import Path
from typing import Any

# jieba cuts text into blocks of these characters and segments each block alone, so a
# window clipped to the hit's block segments exactly as the whole text would; clipped
# windows are also what repeats from record to record (one scope item, 投资咨询).
_JIEBA_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]")
_WINDOW = 5  # characters of context each side: room for a word of up to six characters across an edge
_MAX_DEPTH = 3


class BoundaryJudge:
    """Decides whether a hit in folded text straddles word boundaries.

    jieba's dictionary (about 0.15 s from the cache, 0.4 s to build) is read on first
    use, once per instance, so that constructing a screener stays cheap for callers
    that never need it; jieba itself (0.3 s to import, pkg_resources with it) is
    imported only when a window is first segmented.
    """

    def __init__(self) -> None:
        self._tok: Any = None
        self._lock = threading.Lock()
        self._ready = False
        self._term_joints: dict[str, frozenset[int]] = {}
        self._pairs_hold: dict[str, bool] = {}
        self._edge_pairs: frozenset[str] = frozenset()
        # Per-instance memo of verdicts by window: a pure function of the window, so the
        # outcome never depends on what was screened before.
        self._judge_window = lru_cache(maxsize=1 << 16)(self._judge_window_uncached)

    def warm_up(self) -> None:
        """Load jieba's dictionary now rather than on the first hit that needs it."""
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                self._freq, self._total, self._edge_pairs = load_dictionary()
                self._ready = True

    @property
    def _tokenizer(self) -> Any:
        """A private jieba tokenizer on the dictionary of warm_up (made on first use)."""
        if self._tok is None:
            self.warm_up()
            with self._lock:
                if self._tok is None:
                    import jieba

                    tk = jieba.Tokenizer()
                    # Filled here rather than by Tokenizer.initialize, which logs to stderr
                    # and leaves a cache in the shared temp dir.
                    tk.FREQ, tk.total = self._freq, self._total
                    tk.initialized = True
                    self._tok = tk
        return self._tok

    def needs_judging(self, text: str, start: int, end: int) -> bool:
        """Whether segmentation could change anything: a word runs across an edge of the
        hit, or holds the whole hit, only if it contains the two characters at that edge,
        so when no dictionary word contains either pair the hit stands as it is."""
        if not self._ready:
            self.warm_up()
        pairs = self._edge_pairs
        return (start > 0 and text[start - 1 : start + 1] in pairs) or (end < len(text) and text[end - 1 : end + 1] in pairs)

    def pairs_hold(self, chars: str) -> bool:
        """Whether a character of ``chars`` is in an edge pair of the dictionary (a
        dictionary word holds it next to another character)."""
        held = self._pairs_hold.get(chars)
        if held is None:
            self.warm_up()
            joined = "".join(self._edge_pairs)  # ~0.1 s: once per instance and question
            held = self._pairs_hold[chars] = any(ch in joined for ch in chars)
        return held

    def straddles(self, text: str, start: int, end: int) -> str:
        """An explanation when the hit text[start:end] straddles words, else ''."""
        lo = start
        while lo > 0 and start - lo < _WINDOW and _JIEBA_BLOCK.match(text, lo - 1):
            lo -= 1
        hi, n = end, len(text)
        while hi < n and hi - end < _WINDOW and _JIEBA_BLOCK.match(text, hi):
            hi += 1
        return self._judge_window(text[lo:hi], start - lo, end - lo)

    def _judge_window_uncached(self, window: str, s: int, e: int) -> str:
        self.warm_up()
        return self._judge(window, self._segment(window), s, e, self._joints(window[s:e]), 0)

    def _judge(self, text: str, tokens: list[tuple[int, int]], s: int, e: int, joints: frozenset[int], depth: int) -> str:
        for a, b in tokens:
            if b <= s or a >= e or (a >= s and b <= e):
                continue
            word = text[a:b]
            if a <= s and b >= e:
                # The hit lies inside one word: judge it against that word's parts.
                if depth >= _MAX_DEPTH:
                    return ""
                parts = self._parts(word)
                if len(parts) <= 1:
                    return ""
                inner = [(a + x, a + y) for x, y in parts]
                return self._judge(text, inner, s, e, joints, depth + 1)
            taken = (s, b) if a < s else (a, e)
            joint = taken[1] - s if a < s else taken[0] - s
            if joint in joints and taken[1] - taken[0] >= 2:
                continue
            return f"「{word}」跨越词边界 / the word {word} runs across the hit's edge"
        return ""

    def _segment(self, text: str) -> list[tuple[int, int]]:
        out, pos = [], 0
        for word in self._tokenizer.cut(text, HMM=False):
            out.append((pos, pos + len(word)))
            pos += len(word)
        return out

    def _joints(self, term: str) -> frozenset[int]:
        """Inner joints of a term as jieba splits it alone (云|养殖 → {1})."""
        joints = self._term_joints.get(term)
        if joints is None:
            spans = self._segment(term)
            joints = frozenset(b for _, b in spans[:-1])
            self._term_joints[term] = joints
        return joints

    def _parts(self, word: str) -> list[tuple[int, int]]:
        """The best segmentation of a dictionary word into smaller dictionary words."""
        tk = self._tokenizer
        n = len(word)
        dag = tk.get_DAG(word)
        dag[0] = [k for k in dag[0] if k != n - 1] or [0]
        route: dict[int, tuple[float, int]] = {n: (0.0, 0)}
        logtotal = log(tk.total)
        for idx in range(n - 1, -1, -1):
            route[idx] = max(
                (log(tk.FREQ.get(word[idx : x + 1]) or 1) - logtotal + route[x + 1][0], x) for x in dag[idx]
            )
        parts, i = [], 0
        while i < n:
            j = route[i][1] + 1
            parts.append((i, j))
            i = j
        return parts


_DICT_LINE = re.compile(r"^(\S+) (\d+)", re.MULTILINE)


def cache_dir() -> Path | None:
    """Where the prefix dictionary is cached: $FANGFEI_CACHE_DIR (empty: no cache),
    else $XDG_CACHE_HOME/fangfei-screen or ~/.cache/fangfei-screen."""
    configured = os.environ.get("FANGFEI_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fangfei-screen"


def build_dictionary(text: str) -> tuple[dict[str, int], int, frozenset[str]]:
    """From jieba's dict.txt: its prefix dictionary (every word with its count, every
    proper prefix of a word with 0), as Tokenizer.gen_pfdict builds it in a fifth less
    time, the total count, and every pair of adjacent characters inside a word."""
    pairs = _DICT_LINE.findall(text)
    counts = [int(c) for _, c in pairs]
    freq = dict.fromkeys((w[:i] for w, _ in pairs for i in range(1, len(w))), 0)
    freq.update(zip((w for w, _ in pairs), counts))
    edge_pairs = frozenset(w[i : i + 2] for w, _ in pairs for i in range(len(w) - 1))
    return freq, sum(counts), edge_pairs


def _jieba_dict() -> tuple[Path, str]:
    """jieba's dict.txt and jieba's version, found without importing jieba (which
    imports pkg_resources: 0.3 s) — the same file and version as ``jieba.DEFAULT_DICT_NAME``
    and ``jieba.__version__``."""
    from importlib.metadata import PackageNotFoundError, version

    spec = find_spec("jieba")
    if spec is None or spec.origin is None:
        import jieba  # not installed as a package: let its import say so

        return Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME, jieba.__version__
    try:
        found = version("jieba")
    except PackageNotFoundError:
        import jieba

        found = jieba.__version__
    return Path(spec.origin).parent / "dict.txt", found


def load_dictionary() -> tuple[dict[str, int], int, frozenset[str]]:
    """The dictionary data of jieba's default dict.txt, from the cache when it holds the
    data for this very file (marshal: data only, never code), else built and cached."""
    source, version = _jieba_dict()
    stat = source.stat()
    where = cache_dir()
    name = f"jieba-v2-{version}-{stat.st_size}-{stat.st_mtime_ns}.marshal"
    cached = where / name if where else None
    if cached is not None:
        try:
            freq, total, edge_pairs = marshal.loads(cached.read_bytes())
            if isinstance(freq, dict) and isinstance(total, int) and isinstance(edge_pairs, frozenset) and freq:
                return freq, total, edge_pairs
        except (OSError, ValueError, EOFError, TypeError):
            pass  # no cache yet, or a damaged one: build it
    data = build_dictionary(source.read_text(encoding="utf-8"))
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(marshal.dumps(data))
            os.replace(tmp, cached)  # atomic: a concurrent reader sees all or nothing
        except OSError:
            pass  # a read-only home is no reason to fail; the next start builds again
    return data
