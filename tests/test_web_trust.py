"""The web app's trust boundary (#24): it answers only the host names it was started for (a DNS-
rebinding page in the user's browser reads nothing), refuses state-changing requests from other
origins, times out a body that stops arriving, and CSV cells cannot be formulas in Excel or WPS."""
from __future__ import annotations

import csv
import io
import socket
import time

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from plansearch.cli import app as cli_app
from plansearch.records import write_records
from plansearch.web.app import create_app
from plansearch.web.guard import host_names
from plansearch.web.server import BackgroundServer


@pytest.fixture(scope="module")
def guarded(web_engine):
    return create_app(engine=web_engine, body_timeout=1.0)


def test_a_rebinding_host_is_refused_and_loopback_names_are_answered(guarded):
    evil = TestClient(guarded, base_url="http://evil.example")
    r = evil.get("/search", params={"q": "留守儿童"})
    assert r.status_code == 400 and "evil.example" in r.text and "--allow-host" in r.text
    assert "留守" not in r.text
    for base in ("http://localhost:8765", "http://127.0.0.1", "http://[::1]:8765"):
        assert TestClient(guarded, base_url=base).get("/docs").status_code == 200, base


def test_the_refusal_speaks_the_pages_language(guarded):
    r = TestClient(guarded, base_url="http://evil.example").get("/search")
    assert r.text.startswith("本应用未对地址 evil.example 开放")  # Chinese by default, as every page
    r = TestClient(guarded, base_url="http://evil.example").get("/search", params={"lang": "en"})
    assert r.text.startswith("this address (evil.example) is not one the app was started for")


def test_allow_host_adds_a_name_and_an_all_interfaces_bind_adds_this_machine():
    assert "plans.lan" in host_names("127.0.0.1", ["plans.lan"])
    assert socket.gethostname().lower() in host_names("0.0.0.0")
    assert "evil.example" not in host_names("0.0.0.0")
    assert "[::1]" in host_names("::1")


def test_a_cross_origin_post_is_refused_and_a_same_origin_one_goes_through(guarded):
    client = TestClient(guarded, base_url="http://127.0.0.1:8765")
    files = {"file": ("draft.txt", "区教育局2024年工作要点\n一、建立农村留守儿童关爱档案。\n".encode(), "text/plain")}
    r = client.post("/check", files=files, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "evil.example" in r.text
    r = client.post("/check", files=files, headers={"Origin": "null"})
    assert r.status_code == 403
    r = client.post("/check", files=files, headers={"Referer": "http://evil.example/page"})
    assert r.status_code == 403
    r = client.post("/check", files=files, headers={"Origin": "http://127.0.0.1:8765"})
    assert r.status_code in (200, 303), r.text[:300]


def test_a_body_shorter_than_its_length_is_timed_out(guarded):
    with BackgroundServer(guarded) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"POST /check HTTP/1.1\r\nHost: " + f"{host}:{port}".encode() +
                      b"\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000\r\n\r\n--x\r\n")
            t0 = time.monotonic()
            reply = s.recv(4096)
            waited = time.monotonic() - t0
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert waited < 8


def test_csv_cells_cannot_be_formulas():
    out = io.StringIO()
    write_records([{"text": "=HYPERLINK(\"http://x\")", "label": "-1.", "n": -3, "note": "@SUM(A1)",
                    "plain": "留守儿童"}], "csv", out)
    row = next(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert row == {"text": "'=HYPERLINK(\"http://x\")", "label": "'-1.", "n": "-3", "note": "'@SUM(A1)",
                   "plain": "留守儿童"}


def test_search_csv_neutralises_a_query_that_looks_like_a_formula(seed_index):
    res = CliRunner().invoke(cli_app, ["search", "+留守儿童", "--index", str(seed_index), "--format", "csv", "-k", "1"])
    assert res.exit_code == 0, res.output
    row = next(csv.DictReader(io.StringIO(res.stdout.lstrip("\ufeff"))))
    assert not any(v.startswith(("=", "+", "@")) for v in row.values())


# --- exports that open in Excel and WPS (#25 item 3) ------------------------------------------------

def test_csv_starts_with_a_byte_order_mark_and_reads_back_with_chinese_intact(seed_index):
    res = CliRunner().invoke(cli_app, ["search", "留守儿童关爱", "--index", str(seed_index), "--format", "csv", "-k", "3"])
    assert res.exit_code == 0 and res.stdout.startswith("\ufeffrank,"), res.stdout[:40]
    rows = list(csv.DictReader(io.StringIO(res.stdout.encode("utf-8").decode("utf-8-sig"))))
    assert len(rows) == 3 and "留守儿童" in rows[0]["text"]


def _xlsx(args, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "out.xlsx"
    with open(out, "wb") as f:
        res = subprocess.run([sys.executable, "-c", "from plansearch.cli import app; app()", *map(str, args),
                              "--format", "xlsx"], stdout=f, stderr=subprocess.PIPE, text=False)
    assert res.returncode == 0, res.stderr.decode()
    openpyxl = pytest.importorskip("openpyxl")
    return openpyxl.load_workbook(out)


def test_search_as_xlsx_has_a_frozen_header_chinese_text_and_wide_columns(seed_index, tmp_path):
    book = _xlsx(["search", "留守儿童关爱", "--index", seed_index, "-k", "3"], tmp_path)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert sheet.freeze_panes == "A2" and header[:2] == ["rank", "score"]
    text = sheet.cell(2, header.index("text") + 1).value
    assert "留守儿童" in text and sheet.cell(2, 1).value == 1  # a number stays a number
    assert sheet.column_dimensions[chr(ord("A") + header.index("text"))].width >= 60


def test_reuse_as_xlsx_puts_locations_in_rows_of_their_own_sheet(seed_index, tmp_path):
    book = _xlsx(["reuse", "--index", seed_index, "--top", "3"], tmp_path)
    assert book.sheetnames[:3] == ["cluster", "cluster.locations", "doc_share"]
    clusters, places = book["cluster"], book["cluster.locations"]
    head = [c.value for c in clusters[1]]
    assert isinstance(clusters.cell(2, head.index("locations") + 1).value, int)  # how many, not JSON
    place_head = [c.value for c in places[1]]
    assert place_head[0] == "cluster_rank" and "doc_id" in place_head
    assert places.max_row - 1 == sum(clusters.cell(r, head.index("locations") + 1).value
                                     for r in range(2, clusters.max_row + 1))


def test_an_xlsx_cell_beginning_with_equals_is_text_not_a_formula(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from plansearch.records import write_xlsx

    with open(tmp_path / "x.xlsx", "wb") as f:
        write_xlsx([{"text": "=HYPERLINK(\"http://x\")", "n": -3}], f)
    cell = openpyxl.load_workbook(tmp_path / "x.xlsx").active["A2"]
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"


def test_xlsx_refuses_a_terminal_and_the_web_downloads_it(guarded, monkeypatch):
    import sys

    from plansearch import cli
    from plansearch.models import PlansearchError

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    with pytest.raises(PlansearchError, match="redirect"):
        cli._format("xlsx", False)
    r = TestClient(guarded, base_url="http://localhost").get("/docs", params={"format": "xlsx"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert "spreadsheetml" in r.headers["content-type"]
