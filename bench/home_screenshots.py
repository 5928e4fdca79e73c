"""Screenshots of the home pages at phone size (390×844) for docs/homes.md.

Against a running demo server (``gridgov migrate && gridgov load_demo && gridgov serve``):

    .venv/bin/python bench/home_screenshots.py --base http://127.0.0.1:8000 --out docs/screenshots

Signs in as each demo account (password ``gridgov-demo``) and saves ``home-<who>.png``; ``home-public.png`` is
the signed-out front door. Also checks that no page scrolls sideways.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

PHONE = {"width": 390, "height": 844}
PASSWORD = "gridgov-demo"  # the demo accounts' password (docs/demo)
WHO = ["public", "resident", "gridworker", "community", "unit", "district"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        for who in WHO:
            context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
            page = context.new_page()
            if who != "public":
                page.goto(f"{args.base}/login/")
                page.fill("#id_username", who)
                page.fill("#id_password", PASSWORD)
                with page.expect_navigation():
                    page.click("main button[type=submit]")
            page.goto(f"{args.base}/")
            width = page.evaluate("document.documentElement.scrollWidth")
            path = out / f"home-{who}.png"
            page.screenshot(path=str(path))  # the screen as a phone shows it, tab bar included
            print(f"{path}  {page.url}  scrollWidth={width}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
