"""Word-boundary judging: the dictionary loader and the edge-pair shortcut against jieba itself."""

from __future__ import annotations

import random
from pathlib import Path

import jieba
import pytest

from fangfei_screen import bundled_list_path, load_list
from fangfei_screen.boundary import BoundaryJudge, build_dictionary, load_dictionary


def test_prefix_dictionary_is_the_one_jieba_builds() -> None:
    tk = jieba.Tokenizer()
    with tk.get_dict_file() as f:
        freq, total = tk.gen_pfdict(f)
    text = (Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME).read_text(encoding="utf-8")
    mine, mine_total, pairs = build_dictionary(text)
    assert mine == freq and mine_total == total
    assert "诚信" in pairs and "信用" in pairs and "资咨" not in pairs


def test_the_cache_is_used_and_a_damaged_one_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANGFEI_CACHE_DIR", str(tmp_path))
    first = load_dictionary()
    files = list(tmp_path.glob("jieba-*.marshal"))
    assert len(files) == 1
    assert load_dictionary() == first
    files[0].write_bytes(b"\x00garbage")
    assert load_dictionary() == first
    monkeypatch.setenv("FANGFEI_CACHE_DIR", "")  # empty: no cache at all
    assert load_dictionary() == first


def test_the_edge_pair_shortcut_never_changes_a_verdict() -> None:
    """Wherever the shortcut skips jieba, jieba would have let the hit stand."""
    judge = BoundaryJudge()
    judge.warm_up()
    terms = [t.term for t in load_list(bundled_list_path()).terms if not t.term.isascii()]
    catalogue = Path(__file__).resolve().parent.parent / "data" / "public" / "scope_catalogue.txt"
    items = [line.split(" ", 1)[1] for line in catalogue.read_text(encoding="utf-8").splitlines() if " " in line]
    rng = random.Random(7)
    skipped = 0
    for _ in range(3000):
        left, right = rng.choice(items), rng.choice(items)
        term = rng.choice(terms)
        cut_l, cut_r = rng.randrange(len(left) + 1), rng.randrange(len(right) + 1)
        text = left[cut_l:] + term + right[:cut_r]
        start = len(left) - cut_l
        end = start + len(term)
        if not judge.needs_judging(text, start, end):
            skipped += 1
            assert judge.straddles(text, start, end) == "", text
    assert skipped > 500  # the shortcut does take effect
