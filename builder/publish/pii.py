"""E-mail addresses and phone numbers: found (for `check`) and redacted (for `pii.redact`).

Phone numbers are only recognised in shapes that rarely occur otherwise in news text: an
international "+CC ..." number, a national number opening with a trunk "0" and split into
groups, or the North-American "(555) 123-4567" / "555-123-4567" shape. Dates, years, prices
and plain figures ("2,5 Millionen", "1.234.567") do not match.
"""
from __future__ import annotations

import re

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")

_SEP = r"(?:[ \t]?[./-][ \t]?|[ \t])"
PHONE = re.compile(
    r"(?<![\w+/.,-])(?<!\d )(?:"
    rf"\+\d{{1,3}}{_SEP}?(?:\(0\){_SEP}?)?(?:\(?\d{{1,5}}\)?{_SEP}?)(?:\d{{2,}}{_SEP}?){{1,5}}\d"  # +49 (0)89 1234-567
    rf"|\(?0\d{{1,5}}\)?{_SEP}?\d{{2,}}(?:{_SEP}?\d{{2,}}){{1,3}}"                          # 089 / 123 45 67
    rf"|\(\d{{3}}\) ?\d{{3}}[-. ]\d{{4}}|\d{{3}}-\d{{3}}-\d{{4}}"                              # (555) 123-4567
    r")(?![\w/-]|[.,]\d| \d)")

EMAIL_TOKEN = "[EMAIL]"
PHONE_TOKEN = "[PHONE]"


_DATE = re.compile(r"\b\d{1,4}([./-])\d{1,2}\1\d{2,4}\b")


def _is_phone(s: str) -> bool:
    digits = sum(c.isdigit() for c in s)
    # an unsplit run opening with 0 is an ISBN, product or register number far more often than a phone
    return 8 <= digits <= 15 and not _DATE.search(s) and not s.isdigit()


def find_pii(text: str) -> list[str]:
    """The e-mail addresses and phone numbers in a text, in order of appearance."""
    found = [(m.start(), m.group()) for m in EMAIL.finditer(text)]
    found += [(m.start(), m.group()) for m in PHONE.finditer(text) if _is_phone(m.group())]
    return [s for _, s in sorted(found)]


def redact(text: str) -> str:
    """The text with every e-mail address and phone number replaced by a placeholder."""
    text = EMAIL.sub(EMAIL_TOKEN, text)
    return PHONE.sub(lambda m: PHONE_TOKEN if _is_phone(m.group()) else m.group(), text)
