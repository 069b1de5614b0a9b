"""Screenshots of the web app's pages with headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright; no browser download): the README's docs/web-search.png, docs/web-compare.png,
docs/web-trend.png, docs/web-check.png, docs/web-diffusion.png and docs/web-lineage.png (--a's page
with the first item whose 来历 has a chain opened).
With `pngquant` on the PATH (apt-get install pngquant) the PNGs are quantised to a third of the size.

    .venv/bin/python scripts/web_screenshots.py --index gwr-index --out docs/
    .venv/bin/python scripts/web_screenshots.py --index index --out /tmp/shots --all
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlencode

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", default="index")
    ap.add_argument("--out", default="docs")
    ap.add_argument("--query", default="减税降费")
    ap.add_argument("--a", default="national_gwr_2024")
    ap.add_argument("--b", default="national_gwr_2025")
    ap.add_argument("--topics", default="碳达峰 乡村振兴 新质生产力", help="the trend page's topics")
    ap.add_argument("--check", default=None, help="the document the check page checks (default: --b)")
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--height", type=int, default=860)
    ap.add_argument("--all", action="store_true", help="every page, not only search and compare")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from plansearch.web import create_app
    from plansearch.web.server import BackgroundServer

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pages = {"web-search": "/search?" + urlencode({"q": args.query}),
             "web-compare": "/compare?" + urlencode({"a": args.a, "b": args.b, "only": "edited"}),
             "web-trend": "/trend?" + urlencode({"q": args.topics}),
             "web-check": "/check?" + urlencode({"doc": args.check or args.b}),
             "web-diffusion": "/diffusion",
             "web-lineage": "/document?" + urlencode({"id": args.a})}
    if args.all:
        pages.update({"web-search-year": "/search?" + urlencode({"q": args.query, "view": "year"}),
                      "web-document": "/document?" + urlencode({"id": args.b}),
                      "web-reuse": "/reuse", "web-docs": "/docs", "web-check-form": "/check"})
    app = create_app(args.index, warm=True)
    with BackgroundServer(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        for name, path in pages.items():
            page.goto(url + path, timeout=600_000)  # the first compare embeds its items
            if name == "web-lineage":  # open an item's 来历 that has a chain, and show it
                box = page.locator("details.lineage").filter(has_text="←").first
                box.locator("summary").click()
                box.scroll_into_view_if_needed()
                page.evaluate("window.scrollBy(0, -260)")
            target = out / f"{name}.png"
            page.screenshot(path=str(target))
            if shutil.which("pngquant"):  # palette PNG: a third of the size, text still sharp
                subprocess.run(["pngquant", "--quality=60-85", "--speed=1", "--force", "--output",
                                str(target), str(target)], check=True)
            print(f"wrote {target} ({target.stat().st_size // 1024} KB)")
        browser.close()


if __name__ == "__main__":
    main()
