"""Check characters of the codes the census uses. Pure.

- Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from a 31-character
  alphabet; the last one is a check character over the first 17.
- Organisation code (组织机构代码), GB 11714-1997: characters 9-17 of the credit code; 8 body characters
  and a check character (0-9 or X).
"""

from __future__ import annotations

import re

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def org_code_check_char(body: str) -> str:
    """Check character of an 8-character organisation code body (GB 11714)."""
    total = sum(_org_value(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check_char(first17: str) -> str:
    """Check character of the first 17 characters of a unified social credit code (GB 32100)."""
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problems(code: str) -> list[str]:
    """Every reason ``code`` is not a valid unified social credit code; empty when it is valid."""
    if len(code) != 18:
        return [f"must be 18 characters, got {len(code)}"]
    if not _USCC_SHAPE.match(code):
        return [
            "must be 2 characters from the GB 32100 alphabet (no I, O, S, V, Z), a 6-digit division code "
            "and 10 alphabet characters"
        ]
    problems: list[str] = []
    org_body, org_check = code[8:16], code[16]
    expected_org = org_code_check_char(org_body)
    if org_check != expected_org:
        problems.append(f"organisation code check character (GB 11714) is {org_check!r}, expected {expected_org!r}")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        problems.append(f"check character (GB 32100) is {code[17]!r}, expected {expected!r}")
    return problems


def make_uscc(registration: str, category: str, division: str, org_body: str) -> str:
    """Build a valid credit code from its parts; used by the example city and by tests."""
    first17 = registration + category + division + org_body + org_code_check_char(org_body)
    return first17 + uscc_check_char(first17)


def _org_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    return ord(ch) - ord("A") + 10
