"""Characters that hide a word, and spaces that separate Latin words (issue 11, item 5)."""

from __future__ import annotations

import unicodedata

import pytest

from fangfei_screen import Action, Field, Screener, SuppressReason
from fangfei_screen.normalize import basic_fold, invisible_chars


@pytest.mark.parametrize(
    "hidden",
    [
        "\u00ad",  # soft hyphen
        "\u2061", "\u2062", "\u2063", "\u2064",  # invisible operators
        "\u200e", "\u200f", "\u061c",  # direction marks
        "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # embeddings and overrides
        "\u2066", "\u2067", "\u2068", "\u2069",  # isolates
        "\u034f",  # combining grapheme joiner
        "\ufe00", "\ufe0f", "\U000e0100", "\U000e01ef", "\u180b",  # variation selectors
        "\u180e", "\u3164", "\uffa0",  # Mongolian vowel separator, Hangul fillers
        "\U000e0001", "\U000e0061",  # tag characters
        "\u200b\u00ad\u2063",  # several in a row
    ],
)
def test_an_invisible_character_inside_a_word_does_not_hide_it(screener: Screener, hidden: str) -> None:
    name = f"某某投{hidden}资有限公司"
    scope = f"日用百货；拍{hidden}卖；网络技术"
    r = screener.screen(name, scope)
    assert r.action is Action.BLOCK
    assert [(h.field, h.text) for h in r.hits] == [(Field.NAME, f"投{hidden}资"), (Field.SCOPE, f"拍{hidden}卖")]
    for h in r.hits:
        text = name if h.field is Field.NAME else scope
        assert text[h.start : h.end] == h.text  # offsets exact, the hidden characters inside


def test_invisible_characters_at_a_word_edge_stay_outside_its_span(screener: Screener) -> None:
    scope = "\u2066\u00ad拍卖\ufe0f\u2069服务"
    (hit,) = screener.screen("某公司", scope).hits
    assert (hit.start, hit.end, hit.text) == (2, 4, "拍卖")


def test_every_format_character_and_variation_selector_is_folded() -> None:
    """By property, not by a list: every Cf character and every variation selector."""
    folded = invisible_chars()
    for o in range(0x110000):
        ch = chr(o)
        name = unicodedata.name(ch, "")
        if unicodedata.category(ch) == "Cf" or "VARIATION SELECTOR" in name:
            assert ch in folded, f"U+{o:04X} {name}"
    assert basic_fold("".join(sorted(folded))) == ""
    # Visible letters, marks and spaces are not invisible.
    assert not folded & set("投资abc\u0301\u3000 ")


def test_a_list_term_made_only_of_invisible_characters_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fangfei_screen.lexicon import validate_list

    path = tmp_path / "l.yaml"
    path.write_text('version: "1"\nterms:\n  - {term: "\u00ad\u2063", category: 2}\n', encoding="utf-8")
    assert any("只含空白" in p.message for p in validate_list(path))


@pytest.mark.parametrize(
    "text",
    [
        "NFT Art Studio",
        "sell NFT now",
        "NFT-art工作室",
        "digital/NFT/shop",
        "NFT·数字艺术",
        "the Metaverse Lab",
        "blockchain  tech",
        "ＮＦＴ　Ａｒｔ",  # full-width letters and space
        "N F T art",  # noise inside the term still folds
    ],
)
def test_a_space_or_punctuation_is_a_latin_word_edge(screener: Screener, text: str) -> None:
    r = screener.screen(text, "")
    assert len(r.hits) == 1 and not r.suppressed, r.to_dict()


@pytest.mark.parametrize(
    "text",
    [
        "unfto设计工作室",
        "softNFTx工作室",
        "un\u200bnft工作室",  # an invisible character is no edge: as written it reads unnft
        "un\u00adnft工作室",
    ],
)
def test_a_latin_term_inside_a_longer_latin_word_is_still_suppressed(screener: Screener, text: str) -> None:
    r = screener.screen(text, "")
    assert not r.hits
    assert [h.reason for h in r.suppressed] == [SuppressReason.WORD_BOUNDARY]
