#!/usr/bin/env python3
"""Saves a screenshot of the wall while something runs against the broker
(the Jincheng night prints the wall's URL): headless Chromium from Debian,
driven by Selenium, 1600 x 1000.

  screenshot.py URL FILE [--after S] [--min-alerts N] [--select-first]

Waits until the page follows the live stream and lists at least N open
alerts (at most 120 s), then S seconds more, then saves FILE (PNG).
--select-first selects the first alert of the list (its timeline, and the
console's update form when signed in as an operator) before that.
"""

import argparse
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("file")
    parser.add_argument("--after", type=float, default=0)
    parser.add_argument("--min-alerts", type=int, default=1)
    parser.add_argument("--select-first", action="store_true")
    args = parser.parse_args()
    from headless import start_chromium
    driver = start_chromium()
    try:
        driver.get(args.url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if driver.execute_script(
                    "return document.getElementById('link').textContent === 'live' && "
                    f"document.querySelectorAll('#alerts li').length >= {args.min_alerts}"):
                break
            time.sleep(0.2)
        else:
            print("screenshot: the wall never showed the alerts asked for", file=sys.stderr)
            return 1
        if args.select_first:
            driver.execute_script("document.querySelector('#alerts li').click()")
        time.sleep(args.after)
        driver.save_screenshot(args.file)
        print(f"screenshot: {args.file}")
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
