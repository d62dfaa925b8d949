"""Debian's headless Chromium under Selenium, as the wall's test, its
screenshot and bench/wall_load.py drive it: 1600 x 1000, no sandbox (CI runs
as root), no GPU. Needs python3-selenium, chromium and chromium-driver."""

import shutil


def start_chromium():
    """A Selenium WebDriver on a fresh headless Chromium; quit() it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1600,1000"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
