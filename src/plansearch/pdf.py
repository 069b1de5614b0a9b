"""A report as PDF: the same HTML page printed by headless Chromium (its print to PDF draws the
A4 page, the running header and footer and page numbers of the report's print CSS).

Measured on Debian 12 (2026-12-05): Chromium 156 with fonts-wqy-microhei renders the 查重 report's
Chinese correctly (text extracts as written, no missing glyphs, 0.3 MB for two pages); without a CJK
font Chromium draws boxes, so a missing font is refused in one line rather than printed as tofu.
WeasyPrint was not measured here."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .i18n import _
from .models import PlansearchError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Flags for a closed machine: no first-run, sync or update traffic, a fresh profile.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-pdf-header-footer")


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise PlansearchError(_("--pdf needs Chromium to print the report: apt-get install chromium "
                            "(and a Chinese font: apt-get install fonts-wqy-microhei)"))


def check_cjk_font() -> None:
    fc = shutil.which("fc-list")
    if fc is None:
        return  # no fontconfig to ask: Chromium will say by drawing
    found = subprocess.run([fc, ":lang=zh", "family"], capture_output=True, text=True).stdout.strip()
    if not found:
        raise PlansearchError(_("--pdf needs a Chinese font, or the report prints as boxes: apt-get install "
                                "fonts-wqy-microhei (or fonts-noto-cjk)"))


def html_to_pdf(html: str, out: str | os.PathLike, timeout: float = 120) -> Path:
    """Print `html` (a self-contained page) to the PDF file `out`."""
    browser = find_browser()
    check_cjk_font()
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="plansearch-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        printed = Path(tmp) / "report.pdf"
        try:
            subprocess.run([browser, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
                            f"--print-to-pdf={printed}", page.as_uri()],
                           capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise PlansearchError(_("Chromium did not print the report within {n} s").format(n=int(timeout))) from None
        if not printed.is_file() or printed.stat().st_size == 0:
            raise PlansearchError(_("Chromium did not print the report ({browser})").format(browser=browser))
        shutil.copyfile(printed, out)
    return out
