"""A browser on the local emulation: headless Chromium (Debian's `chromium`
and `chromium-driver` packages, which `make setup` installs, or a Google
Chrome with its chromedriver, as on GitHub's runners) opens `/getEpochStore` through the front door,
sees the records as a table, follows the next-page link, and leaves
screenshots under `target/browser/` for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from local_harness import REGIONS, http, local_factory, target_dir  # noqa: F401

BROWSERS = ("chromium", "google-chrome", "google-chrome-stable")


@pytest.fixture
def browser():
    # selenium-manager must not try to download a browser or a driver.
    os.environ.setdefault("SE_OFFLINE", "true")
    chromium = next(filter(None, map(shutil.which, BROWSERS)), None)
    chromedriver = shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.fail("chromium or chromedriver missing: run make setup "
                    "(apt-get install -y chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as err:
        pytest.fail(f"selenium is not installed in the test virtualenv: {err}")
    profile = tempfile.mkdtemp(prefix="epochstore-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=1280,900", f"--user-data-dir={profile}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def rows(driver):
    from selenium.webdriver.common.by import By

    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in driver.find_elements(By.CSS_SELECTOR, "#records tbody tr")]


def test_browser_pages_through_the_records(local_factory, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    local = local_factory()
    for _ in range(25):
        assert http("POST", f"{local.url}/storeEpochTime").status == 201
    shots = os.path.join(target_dir(), "browser")
    os.makedirs(shots, exist_ok=True)

    browser.get(f"{local.url}/getEpochStore?limit=10")
    WebDriverWait(browser, 10).until(expected_conditions.presence_of_element_located((By.ID, "records")))
    first = rows(browser)
    assert len(first) == 10, first
    assert browser.find_element(By.ID, "region").text in REGIONS
    browser.save_screenshot(os.path.join(shots, "getEpochStore-page1.png"))

    old_table = browser.find_element(By.ID, "records")
    browser.find_element(By.ID, "next").click()
    WebDriverWait(browser, 10).until(expected_conditions.staleness_of(old_table))
    WebDriverWait(browser, 10).until(expected_conditions.presence_of_element_located((By.ID, "records")))
    second = rows(browser)
    assert len(second) == 10, second
    assert "cursor=" in browser.current_url
    ids_first = {row[-1] for row in first}
    ids_second = {row[-1] for row in second}
    assert len(ids_first) == 10 and len(ids_second) == 10
    assert not ids_first & ids_second, "the next page shows other records"
    # Newest first across pages: page 2 is older than all of page 1.
    assert max(int(row[2]) for row in second) <= min(int(row[2]) for row in first)
    browser.save_screenshot(os.path.join(shots, "getEpochStore-page2.png"))
    for name in ("getEpochStore-page1.png", "getEpochStore-page2.png"):
        assert os.path.getsize(os.path.join(shots, name)) > 1000
