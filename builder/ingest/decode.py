"""Bytes to text without guessing wildly, and the small field clean-ups every reader shares.

Order of trust: a BOM, then strict UTF-8, then "mostly UTF-8 with a few broken bytes", then
cp1252/Latin-1, but the last only when the result clearly reads like text: a wrong guess there
would publish garbage, so anything doubtful is quarantined as unreadable:encoding instead.
"""
from __future__ import annotations

import codecs
import re
from urllib.parse import urlsplit

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),  # before UTF-16: same prefix
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LETTER_OR_SPACE = re.compile(r"[^\W\d_]|\s")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MAX_NUL_SHARE = 1000   # more than one NUL byte in this many: binary
_CP1252_C1 = {b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str | None, str | None]:
    """(text, None) or (None, "unreadable:binary" / "unreadable:encoding")."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc), None
            except UnicodeDecodeError:
                return None, "unreadable:encoding"
    nuls = data.count(b"\x00")
    if nuls:
        # Binary data (and UTF-16 without a BOM) is full of NUL bytes: even random bytes hold one in
        # 256. A text scrape may carry a few strays from a bad conversion: they are dropped, and
        # the text is kept if the rest reads as text.
        if nuls * _MAX_NUL_SHARE > len(data):
            return None, "unreadable:binary"
        text, _ = decode_bytes(data.replace(b"\x00", b""), declared)
        return (text, None) if text is not None else (None, "unreadable:binary")
    try:
        # valid UTF-8 beats any declaration: other encodings almost never validate by chance,
        # while pages that declare Latin-1 and send UTF-8 are common
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    codec = _codec(declared) if declared else None
    if codec and codec != "utf-8":
        try:
            return data.decode(codec), None
        except UnicodeDecodeError:
            pass
    loose = data.decode("utf-8", "replace")
    bad = loose.count("\ufffd")
    multibyte = len(_NON_ASCII.findall(loose)) - bad
    if multibyte >= 10 * bad:
        # real UTF-8 with a few damaged bytes: re-reading it as cp1252 would garble every umlaut
        return loose.replace("\ufffd", ""), None
    text = _cp1252(data)
    return (text, None) if _looks_like_text(text) else (None, "unreadable:encoding")


def decode_html(data: bytes, declared: str | None = None) -> tuple[str | None, str | None]:
    """Like decode_bytes, but honours a <meta charset> in the page head when nothing was declared."""
    if not declared:
        m = _META_CHARSET.search(data[:4096])
        declared = m.group(1).decode("ascii") if m else None
    return decode_bytes(data, declared)


def _codec(name: str) -> str | None:
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None  # an unknown charset name is treated as no declaration
    # pages that declare Latin-1 are nearly always cp1252 (what browsers do too)
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def _cp1252(data: bytes) -> str:
    # cp1252 leaves five bytes undefined: those keep their Latin-1 (C1) code point
    return data.decode("latin-1").translate(_CP1252_C1)


def _looks_like_text(text: str) -> bool:
    """Western text read as cp1252: mostly ASCII letters and spaces, hardly any control characters."""
    if not text:
        return True
    text = text[:100_000]  # a sample decides; the file is read as a whole either way
    n = len(text)
    controls = len(_CONTROL.findall(text))
    non_ascii = len(_NON_ASCII.findall(text))
    letters_spaces = len(_LETTER_OR_SPACE.findall(text))
    return controls <= n * 0.001 and non_ascii <= n * 0.2 and letters_spaces >= n * 0.5


def clean_str(value) -> str | None:
    """A metadata field as a clean str (numbers and dates become text; lone surrogates are dropped)."""
    if value is None:
        return None
    if not isinstance(value, str):
        if isinstance(value, (dict, list, bytes)):
            return None
        value = str(value)
    if value.isascii():
        return value
    try:
        value.encode("utf-8")   # fails on a lone surrogate only; 6x faster than searching for one
    except UnicodeEncodeError:
        return _SURROGATE.sub("", value)
    return value


def host_of(url: str | None) -> str | None:
    """Lower-case host without "www." and port, or None when the URL has none."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host
