"""Unified social credit codes (GB 32100) and the organisation code inside them (GB 11714)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govcloud.census.core import codes

# Published codes whose two check characters are known to be right; the first is GB 32100's own example.
REAL_CODES = pytest.mark.parametrize(
    "code",
    [
        pytest.param("91350100M000100Y43", id="gb32100-example"),
        pytest.param("914403001922038216", id="enterprise-shenzhen"),
        pytest.param("91110108551385082Q", id="enterprise-beijing-haidian"),
        pytest.param("12100000400000624D", id="public-institution"),
        pytest.param("11100000000013127D", id="government-organ"),
    ],
)


@REAL_CODES
def test_real_codes_are_valid(code: str) -> None:
    assert codes.uscc_problems(code) == []


@REAL_CODES
def test_real_codes_check_characters_are_recomputed(code: str) -> None:
    assert codes.org_code_check_char(code[8:16]) == code[16]
    assert codes.uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # weights 3 7 9 10 5 8 4 2; check = 11 - sum mod 11, 10 → X, 11 → 0
        pytest.param("19220382", "1", id="sum-164"),
        pytest.param("00000001", "9", id="sum-2"),
        pytest.param("00000006", "X", id="sum-12-gives-X"),
        pytest.param("00000000", "0", id="sum-0-gives-0"),
        pytest.param("M000100Y", "4", id="letters-count-from-10"),
    ],
)
def test_org_code_check_char_follows_gb11714(body: str, expected: str) -> None:
    assert codes.org_code_check_char(body) == expected


@REAL_CODES
def test_wrong_final_check_character_is_named(code: str) -> None:
    wrong = next(ch for ch in codes.USCC_ALPHABET if ch != code[17])
    problems = codes.uscc_problems(code[:17] + wrong)
    assert problems == [f"check character (GB 32100) is {wrong!r}, expected {code[17]!r}"]


@REAL_CODES
def test_wrong_organisation_check_character_is_named(code: str) -> None:
    # Change the GB 11714 check character but keep the GB 32100 one consistent, so only the inner one fails.
    wrong = next(ch for ch in "0123456789" if ch != code[16])
    first17 = code[:16] + wrong
    problems = codes.uscc_problems(first17 + codes.uscc_check_char(first17))
    assert problems == [f"organisation code check character (GB 11714) is {wrong!r}, expected {code[16]!r}"]


def test_both_check_characters_wrong_gives_two_problems() -> None:
    problems = codes.uscc_problems("91350100M000100Y50")
    assert len(problems) == 2
    assert "GB 11714" in problems[0]
    assert "GB 32100" in problems[1]


@pytest.mark.parametrize(
    ("code", "length"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param("91350100M000100Y4", 17, id="one-short"),
        pytest.param("91350100M000100Y433", 19, id="one-long"),
        pytest.param("913501-00M000100Y43", 19, id="with-hyphen"),
    ],
)
def test_wrong_length_is_reported_with_the_length(code: str, length: int) -> None:
    assert codes.uscc_problems(code) == [f"must be 18 characters, got {length}"]


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("91350100M000100I43", id="letter-I"),
        pytest.param("91350100M000100O43", id="letter-O"),
        pytest.param("91350100S000100Y43", id="letter-S"),
        pytest.param("9135010VM000100Y43", id="letter-in-division"),
        pytest.param("91350100m000100y43", id="lower-case"),
        pytest.param("9Z350100M000100Y43", id="letter-Z"),
        pytest.param("91350100M000100Ｙ43", id="full-width"),
    ],
)
def test_characters_outside_the_alphabet_are_refused(code: str) -> None:
    problems = codes.uscc_problems(code)
    assert len(problems) == 1
    assert "GB 32100 alphabet" in problems[0]


_alphabet = st.sampled_from(codes.USCC_ALPHABET)
_parts = st.tuples(
    _alphabet,
    _alphabet,
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=codes.USCC_ALPHABET, min_size=8, max_size=8),
)


@given(_parts)
def test_make_uscc_round_trips(parts: tuple[str, str, str, str]) -> None:
    registration, category, division, body = parts
    code = codes.make_uscc(registration, category, division, body)
    assert len(code) == 18
    assert codes.uscc_problems(code) == []
    assert (code[0], code[1], code[2:8], code[8:16]) == parts


@given(_parts, st.integers(min_value=0, max_value=17), _alphabet)
def test_any_single_substitution_is_detected(parts: tuple[str, str, str, str], position: int, new: str) -> None:
    code = codes.make_uscc(*parts)
    if code[position] == new:
        return
    changed = code[:position] + new + code[position + 1 :]
    assert codes.uscc_problems(changed) != []


@given(_parts, st.integers(min_value=0, max_value=15))
def test_any_adjacent_transposition_in_the_weighted_part_is_detected(
    parts: tuple[str, str, str, str], position: int
) -> None:
    code = codes.make_uscc(*parts)
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2 :]
    assert codes.uscc_problems(swapped) != []
