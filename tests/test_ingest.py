"""Ingest: every kind, ids, sites, quarantine reasons, truncated archives, streaming."""
from __future__ import annotations

import gzip
import io
import json
import os
import random
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from builder.article import KEPT, QUARANTINED
from builder.config import IngestConfig
from builder.errors import BuilderError
from builder.ingest import read_inputs
from builder.ingest.decode import clean_str, decode_bytes, host_of

FIX = Path(__file__).parent / "fixtures" / "ingest"
CFG = IngestConfig(site="fallback-site")


def read(*paths, cfg: IngestConfig = CFG):
    return list(read_inputs(list(paths), cfg))


def by_id(arts):
    return {a.id: a for a in arts}


def jsonl_lines(n: int) -> bytes:
    return b"".join(json.dumps({"id": f"d{i}", "text": f"document number {i} " * 5}).encode() + b"\n"
                    for i in range(n))


# --- folders and plain files ---------------------------------------------------------------

def test_folder_ids_sites_and_order():
    arts = read(FIX / "tree")
    ids = [a.id for a in arts]
    # sorted by path; hidden files and folders skipped
    assert ids[:3] == ["alpha/2024/rat", "alpha/budget", "beta/report.pdf"]
    assert not any("secret" in i or "old" in i for i in ids)
    a = by_id(arts)
    assert a["alpha/2024/rat"].site == "alpha"         # first folder under the root
    assert a["alpha/2024/rat"].text.startswith("Der Gemeinderat")
    assert a["empty"].site == "fallback-site"          # no folder, no URL
    assert a["empty"].status == KEPT and a["empty"].text == ""
    assert a["alpha/budget"].origin.endswith("alpha/budget.txt")


def test_unknown_kind_in_folder_is_quarantined_not_lost():
    a = by_id(read(FIX / "tree"))["beta/report.pdf"]
    assert a.status == QUARANTINED and a.reason == "unreadable:unsupported_kind"


def test_unreadable_documents_get_the_site_fallback_too():
    a = by_id(read(FIX / "tree"))
    assert a["feed.jsonl:6"].reason == "unreadable:json" and a["feed.jsonl:6"].site == "fallback-site"
    assert a["beta/report.pdf"].site == "beta"         # its folder still names the site


def test_html_file_goes_to_html_field():
    a = by_id(read(FIX / "tree"))["beta/story"]
    assert a.site == "beta" and a.text == ""
    assert "<article>" in a.html and "harbour reopened" in a.html


def test_single_file_root_uses_stem():
    seed = next((FIX / "seeds" / "it-boltwise").glob("*.txt"))
    (a,) = read(seed)
    assert a.id == seed.stem and a.site == "fallback-site"


def test_seed_folder():
    arts = read(FIX / "seeds")
    assert [a.id.split("/")[0] for a in arts] == ["it-boltwise", "it-boltwise"]
    assert all(a.site == "it-boltwise" and a.alive for a in arts)


def test_missing_path_and_unsupported_single_file_raise(tmp_path):
    with pytest.raises(BuilderError, match="input not found"):
        read(tmp_path / "nope")
    with pytest.raises(BuilderError, match="unsupported"):
        read(FIX / "tree" / "beta" / "report.pdf")


def test_symlinks_only_when_asked(tmp_path):
    (tmp_path / "real.txt").write_text("text")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    assert [a.id for a in read(tmp_path)] == ["real"]
    assert [a.id for a in read(tmp_path, cfg=IngestConfig(follow_symlinks=True))] == ["link", "real"]


def test_duplicate_ids_across_inputs(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.txt").write_text("one")
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "a.txt").write_text("two")
    arts = read(tmp_path / "x", tmp_path / "y")
    assert [a.id for a in arts] == ["a", "a"]
    assert arts[0].alive and arts[1].reason == "duplicate_id"


# --- JSONL ---------------------------------------------------------------------------------

def test_jsonl_fields_and_bad_lines():
    arts = read(FIX / "tree" / "feed.jsonl")
    a = by_id([x for x in arts if x.reason != "duplicate_id"])
    n1 = a["n1"]
    assert (n1.url, n1.site, n1.title, n1.published_at, n1.lang_hint) == (
        "https://WWW.Example-News.org/local/rain", "example-news.org", "Flooding", "2024-03-01", "en")
    assert n1.origin.endswith("feed.jsonl:1")
    assert a["n2"].html.startswith("<html>") and a["n2"].text == "" and a["n2"].site == "markets-daily"
    assert a["feed.jsonl:4"].alive                   # missing id: file and line (line 3 is blank)
    assert a["n4"].reason == "unreadable:no_text"
    assert a["feed.jsonl:6"].reason == "unreadable:json"
    assert a["feed.jsonl:7"].reason == "unreadable:json"   # valid JSON, but not an object
    assert a["7"].alive and a["7"].published_at == "20240301"
    dup = [x for x in arts if x.reason == "duplicate_id"]
    assert [d.id for d in dup] == ["n1"] and dup[0].origin.endswith(":8")



def test_lone_surrogates_leave_text_and_metadata(tmp_path):
    p = tmp_path / "s.jsonl"
    # JSON may escape half of a surrogate pair: Python reads it as a lone surrogate
    p.write_text('{"id": "s1", "title": "Fähre \\ud800fährt", "text": "Die Fähre\\udfff fährt wieder. \\ud83d\\ude00"}\n',
                 encoding="utf-8")
    (a,) = read(p)
    assert a.title == "Fähre fährt" and a.text == "Die Fähre fährt wieder. \U0001f600"
    assert clean_str(7) == "7" and clean_str(["x"]) is None and clean_str("plain") == "plain"

def test_jsonl_in_folder_uses_relpath_ids():
    a = by_id(read(FIX / "tree"))
    assert "feed.jsonl:4" in a and a["feed.jsonl:4"].site == "fallback-site"


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_compressed_jsonl(tmp_path, suffix):
    data = jsonl_lines(50)
    blob = gzip.compress(data) if suffix.endswith("gz") else zstandard.ZstdCompressor().compress(data)
    p = tmp_path / f"f{suffix}"
    p.write_bytes(blob)
    arts = read(p)
    assert [a.id for a in arts] == [f"d{i}" for i in range(50)] and all(a.alive for a in arts)


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_truncated_archive_keeps_what_was_read(tmp_path, suffix):
    data = jsonl_lines(3000)
    blob = gzip.compress(data) if suffix.endswith("gz") else zstandard.ZstdCompressor().compress(data)
    p = tmp_path / f"f{suffix}"
    p.write_bytes(blob[: len(blob) // 2])
    arts = read(p)
    good, bad = arts[:-1], arts[-1]
    assert 0 < len(good) < 3000 and all(a.alive for a in good)
    assert [a.id for a in good] == [f"d{i}" for i in range(len(good))]
    assert bad.reason == "unreadable:truncated" and bad.id == f"f{suffix}:{len(good) + 1}"


def test_not_compressed_at_all(tmp_path):
    p = tmp_path / "f.jsonl.gz"
    p.write_bytes(b"plain text, not gzip")
    (a,) = read(p)
    assert a.reason == "unreadable:corrupt"


def test_jsonl_is_streamed(tmp_path):
    p = tmp_path / "big.jsonl"
    data = jsonl_lines(40_000)  # a few MB
    p.write_bytes(data)
    docs = read_inputs([p], CFG)
    assert next(docs).id == "d0"
    # change the last line on disk after the first document came out: a reader that had
    # loaded the whole file would not notice
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[1]
    with p.open("r+b") as fh:
        fh.seek(len(data) - len(last) - 1)
        fh.write(b"#" * len(last))
    rest = list(docs)
    assert rest[-1].reason == "unreadable:json" and len(rest) == 39_999


def test_too_large_line_and_file(tmp_path):
    big = json.dumps({"id": "big", "text": "x" * 500}).encode()
    (tmp_path / "f.jsonl").write_bytes(b'{"id": "a", "text": "short"}\n' + big + b'\n{"id": "b", "text": "ok"}\n')
    (tmp_path / "g.txt").write_text("y" * 500)
    arts = read(tmp_path, cfg=IngestConfig(max_bytes=200))
    reasons = {a.id: a.reason for a in arts}
    assert reasons == {"f.jsonl:2": "unreadable:too_large", "a": None, "b": None, "g": "unreadable:too_large"}


def test_jsonl_bad_encoding_per_line(tmp_path):
    latin = '{"id": "l", "text": "Größe und Maß: Straße"}'.encode("cp1252")
    p = tmp_path / "f.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"id": "bom", "text": "a"}\n' + latin + b"\n" + b'{"id":"z","text":"\x00\x01"}\n')
    a = by_id(read(p))
    assert a["bom"].alive
    assert a["l"].text == "Größe und Maß: Straße"
    assert a["f.jsonl:3"].reason == "unreadable:binary"


def test_stray_nul_bytes_dropped_binary_still_quarantined(tmp_path):
    para = "Der Stadtrat hat am Montag den neuen Haushalt beschlossen, nach langer Debatte. " * 40
    (tmp_path / "stray.txt").write_bytes(para[:1500].encode() + b"\x00" + para[1500:].encode() + b"\x00")
    (tmp_path / "random.txt").write_bytes(random.Random(7).randbytes(20_000))     # ~78 NULs
    (tmp_path / "utf16.txt").write_bytes(para.encode("utf-16-le"))                # no BOM: half NULs
    a = by_id(read(tmp_path))
    assert a["stray"].alive and a["stray"].text == para
    assert a["random"].reason == "unreadable:binary"
    assert a["utf16"].reason == "unreadable:binary"


# --- encodings of whole files --------------------------------------------------------------

def test_txt_encodings(tmp_path):
    text = "Die Straße ist 5 km lang und führt über die Brücke zum Öko-Markt."
    (tmp_path / "utf16.txt").write_bytes(text.encode("utf-16"))          # with BOM
    (tmp_path / "cp1252.txt").write_bytes(text.encode("cp1252"))
    (tmp_path / "bom8.txt").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "bin.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "noise.txt").write_bytes(bytes(range(128, 256)) * 20)
    a = by_id(read(tmp_path))
    for name in ("utf16", "cp1252", "bom8"):
        assert a[name].text == text, name
    assert a["bin"].reason == "unreadable:binary"
    assert a["noise"].reason == "unreadable:encoding"


def test_mostly_utf8_with_a_broken_byte_stays_utf8():
    data = ("Grüße aus München, schöne Grüße, Äpfel und Öl " * 5).encode() + b"\xff end"
    text, reason = decode_bytes(data)
    assert reason is None and "München" in text and text.endswith(" end")


def test_html_meta_charset(tmp_path):
    html = '<html><head><meta charset="windows-1252"></head><body>Café – Crème</body></html>'
    (tmp_path / "p.html").write_bytes(html.encode("cp1252"))
    (tmp_path / "q.html.gz").write_bytes(gzip.compress(html.encode("utf-8")))
    a = by_id(read(tmp_path))
    assert "Café – Crème" in a["p"].html and "Café – Crème" in a["q"].html


def test_truncated_html_gz(tmp_path):
    blob = gzip.compress(("<p>" + "word " * 5000 + "</p>").encode())
    (tmp_path / "p.html.gz").write_bytes(blob[:-40])
    (a,) = read(tmp_path)
    assert a.id == "p" and a.reason == "unreadable:truncated"


def test_host_of():
    assert host_of("https://www.Example.COM:8080/a?b") == "example.com"
    assert host_of("not a url") is None and host_of(None) is None and host_of("http://[::1") is None


# --- WARC ----------------------------------------------------------------------------------

def write_warc(path: Path, gz: bool) -> list[int]:
    """The crawl below; returns where each record starts."""
    starts = []
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        write = w.write_record
        w.write_record = lambda record: (starts.append(fh.tell()), write(record))
        w.write_record(w.create_warcinfo_record(path.name, {"software": "test"}))
        pages = [("https://www.one.example/a", "text/html; charset=utf-8", "<html><body><p>Erster Artikel über Äpfel.</p></body></html>".encode()),
                 ("https://two.example/logo.png", "image/png", b"\x89PNG\r\n\x1a\n"),
                 ("https://two.example/b", "text/html; charset=iso-8859-1", "<html><body>Zweiter Artikel, Größe</body></html>".encode("latin-1"))]
        for url, ctype, body in pages:
            w.write_record(w.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")))
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
    return starts


@pytest.mark.parametrize("gz", [False, True])
def test_warc(tmp_path, gz):
    p = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    write_warc(p, gz)
    arts = read(p)
    assert [a.url for a in arts] == ["https://www.one.example/a", "https://two.example/b"]
    one, two = arts
    assert one.site == "one.example" and one.id.startswith("urn:uuid:") and "<" not in one.id
    assert "Äpfel" in one.html and "Größe" in two.html and one.text == ""
    assert one.origin.endswith("#2") and two.origin.endswith("#6") and one.fetched_at


def test_truncated_warc_gz(tmp_path):
    p = tmp_path / "crawl.warc.gz"
    write_warc(p, True)
    blob = p.read_bytes()
    p.write_bytes(blob[: len(blob) - 60])
    arts = read(p)
    assert arts[0].alive and arts[0].url == "https://www.one.example/a"
    assert arts[-1].reason == "unreadable:truncated" and len([a for a in arts if not a.alive]) == 1



@pytest.mark.parametrize("gz", [False, True])
def test_a_damaged_warc_record_costs_only_itself(tmp_path, gz):
    p = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    starts = write_warc(p, gz)
    blob = bytearray(p.read_bytes())
    at = starts[3]          # the request record before the image: its header is garbled
    blob[at:at + 8] = b"\xff" * 8
    p.write_bytes(bytes(blob))
    arts = read(p)
    assert [a.url for a in arts if a.alive] == ["https://www.one.example/a", "https://two.example/b"]
    (bad,) = [a for a in arts if not a.alive]
    assert bad.reason == "unreadable:corrupt" and bad.id == f"{p.name}#3" and arts[1] is bad

# --- Parquet -------------------------------------------------------------------------------

def test_parquet_streams_rows(tmp_path):
    rows = {"id": [f"p{i}" for i in range(2500)], "text": ["body"] * 2500,
            "url": ["https://www.paper.example/x"] * 2500, "other": [1] * 2500}
    rows["id"][3] = None
    pq.write_table(pa.table(rows), tmp_path / "t.parquet", row_group_size=1000)
    arts = read(tmp_path / "t.parquet")
    assert len(arts) == 2500 and all(a.alive for a in arts)
    assert arts[3].id == "t.parquet#3" and arts[4].origin.endswith("t.parquet#4")
    assert arts[0].site == "paper.example"


def test_parquet_corrupt(tmp_path):
    pq.write_table(pa.table({"id": ["a"], "text": ["b"]}), tmp_path / "t.parquet")
    blob = (tmp_path / "t.parquet").read_bytes()
    (tmp_path / "t.parquet").write_bytes(blob[: len(blob) // 2])
    (a,) = read(tmp_path)
    assert a.status == QUARANTINED and a.reason == "unreadable:corrupt" and a.id == "t.parquet"



def test_a_damaged_parquet_row_group_costs_only_its_own_rows(tmp_path):
    path = tmp_path / "t.parquet"
    rows = {"id": [f"p{i}" for i in range(30)], "text": [f"Ferry story {i}" for i in range(30)]}
    pq.write_table(pa.table(rows), path, row_group_size=10, compression="none")
    text_column = pq.ParquetFile(path).metadata.row_group(1).column(1)
    blob = bytearray(path.read_bytes())
    at = text_column.data_page_offset
    blob[at:at + 40] = b"\xff" * 40        # the page header of the middle group's text column
    path.write_bytes(bytes(blob))
    arts = read(path)
    assert len(arts) == 30      # every row accounted for, in order
    assert [a.id for a in arts[:10]] == [f"p{i}" for i in range(10)] and all(a.alive for a in arts[:10])
    assert [a.id for a in arts[10:20]] == [f"t.parquet#{i}" for i in range(10, 20)]
    assert all(a.status == QUARANTINED and a.reason == "unreadable:corrupt" for a in arts[10:20])
    assert [a.id for a in arts[20:]] == [f"p{i}" for i in range(20, 30)] and all(a.alive for a in arts[20:])

# --- never a traceback ---------------------------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(tmp_path, blob):
    d = tmp_path / "in"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    (d / "a.txt").write_bytes(blob)
    (d / "b.jsonl").write_bytes(blob)
    (d / "c.jsonl").write_bytes(b'{"id": "x", "text": "' + blob + b'"}\n')
    (d / "d.html.gz").write_bytes(blob)
    (d / "e.warc").write_bytes(blob)
    (d / "f.jsonl.zst").write_bytes(blob)
    arts = read(d)
    assert any(a.id == "a" for a in arts)
    for a in arts:
        assert a.status in (KEPT, QUARANTINED)
        (a.text + (a.html or "") + a.id).encode("utf-8")  # always valid text


# --- odd file system entries ------------------------------------------------------------------

def test_origin_names_the_file_under_its_root_however_the_root_is_written(tmp_path, monkeypatch):
    d = tmp_path / "crawl"
    d.mkdir()
    (d / "feed.jsonl").write_bytes(jsonl_lines(2))
    (d / "page.txt").write_text("A page of text.", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    spellings = [d, Path("crawl"), Path("./crawl/"), Path("crawl/../crawl")]
    origins = [[a.origin for a in read(p)] for p in spellings]
    assert origins[0] == ["crawl/feed.jsonl:1", "crawl/feed.jsonl:2", "crawl/page.txt"]
    assert all(o == origins[0] for o in origins)
    assert [a.origin for a in read(Path("crawl/page.txt"))] == ["page.txt"]


def test_a_file_name_that_is_not_utf8_is_escaped_not_fatal(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    name = bytes(d) + b"/bad\xff\xfename.txt"
    with open(name, "wb") as fh:
        fh.write(b"Some article text.")
    (d / "good.txt").write_text("Other text.", encoding="utf-8")
    arts = read(d)
    assert [a.id for a in arts] == ["bad\\xff\\xfename", "good"]
    assert arts[0].status == KEPT and arts[0].text == "Some article text."
    assert arts[0].origin == "in/bad\\xff\\xfename.txt"
    json.dumps([a.id + a.origin for a in arts]).encode("utf-8")   # writable as JSON and Arrow text


def test_a_named_pipe_is_quarantined_and_does_not_block(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.txt").write_text("Text.", encoding="utf-8")
    os.mkfifo(d / "pipe.txt")
    arts = read(d)
    assert [(a.id, a.status, a.reason) for a in arts] == [
        ("a", KEPT, None), ("pipe.txt", QUARANTINED, "unreadable:not_a_file")]


def test_a_symlink_loop_is_read_once(tmp_path):
    d = tmp_path / "in"
    (d / "a").mkdir(parents=True)
    (d / "a" / "doc.txt").write_text("Text.", encoding="utf-8")
    (d / "a" / "up").symlink_to("..")
    (d / "b").symlink_to("a")
    arts = read(d, cfg=IngestConfig(follow_symlinks=True))
    assert [a.id for a in arts] == ["a/doc"]
    assert [a.id for a in read(d)] == ["a/doc"]     # links not followed at all by default


@pytest.mark.parametrize("blob", [b"Plain prose saved under the wrong name.\nA second line.\n",
                                  gzip.compress(b"Plain prose, gzipped.\n")])
def test_a_file_that_is_no_warc_is_quarantined_once(tmp_path, blob):
    d = tmp_path / "in"
    d.mkdir()
    (d / ("x.warc.gz" if blob[:2] == b"\x1f\x8b" else "x.warc")).write_bytes(blob)
    (d / "y.txt").write_text("Text.", encoding="utf-8")
    arts = read(d)
    assert [(a.status, a.reason) for a in arts] == [(QUARANTINED, "unreadable:not_warc"), (KEPT, None)]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_jsonl_with_a_byte_order_mark_is_read_line_by_line(tmp_path, encoding):
    rows = [{"id": "a", "text": "Grüße aus Köln"}, {"id": "b", "text": "второй документ"}]
    body = "".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in rows)
    raw = body.encode(encoding) if encoding == "utf-16" else b"\xfe\xff" + body.encode(encoding)
    (tmp_path / "w.jsonl").write_bytes(raw)
    (tmp_path / "w2.jsonl.gz").write_bytes(gzip.compress(raw))
    for name in ("w.jsonl", "w2.jsonl.gz"):
        arts = read(tmp_path / name)
        assert [(a.id, a.status, a.text) for a in arts] == [(r["id"], KEPT, r["text"]) for r in rows]


def test_utf16_jsonl_lines_are_held_to_max_bytes_in_utf8(tmp_path):
    # the first line is 54 characters but 84 bytes of UTF-8 (30 Cyrillic letters): too large for 80
    rows = [{"id": "a", "text": "ж" * 30}, {"id": "b", "text": "ok"}]
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    (tmp_path / "w.jsonl").write_bytes(body.encode("utf-16"))
    arts = read(tmp_path / "w.jsonl", cfg=IngestConfig(max_bytes=80))
    assert [(a.id, a.status, a.reason) for a in arts] == [
        ("w.jsonl:1", QUARANTINED, "unreadable:too_large"), ("b", KEPT, None)]
