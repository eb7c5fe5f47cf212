"""The HTML report in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by selenium) opens it at laptop and phone widths, takes
screenshots, and the page must render, fit the screen and log no console error.

Skipped where no Chromium is installed, except when UNSTUCK_REQUIRE_BROWSER=1 (CI sets it):
then a missing browser fails the test.
"""
import os
import shutil
import tempfile
from collections import Counter

import pytest

from tests.report.test_html import BROADCAST, CHECKUP, page_for

REQUIRED = os.environ.get("UNSTUCK_REQUIRE_BROWSER") == "1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
# Chromium runs as root here: no sandbox, no GPU, nothing fetched in the background.
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a Chromium start and two full-page screenshots


def _unavailable() -> str | None:
    if not CHROMIUM or not DRIVER:
        return ("the browser test needs Chromium and chromedriver on PATH, and this machine has "
                f"{'neither' if not CHROMIUM and not DRIVER else 'no chromedriver' if CHROMIUM else 'no chromium'} "
                "(Debian/Ubuntu: apt-get install chromium chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the browser test drives Chromium through selenium, which is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser():
    why = _unavailable()
    if why:
        if REQUIRED:
            pytest.fail(f"UNSTUCK_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="unstuck-chromium-")
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def screenshot(driver, path: str, width: int) -> None:
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 100, 8000))
    driver.save_screenshot(path)
    keep = os.environ.get("UNSTUCK_SCREENSHOT_DIR")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(path, os.path.join(keep, os.path.basename(path)))


def not_blank(path: str) -> tuple[float, int]:
    """Share of pixels that differ from the page background, and the number of colours."""
    from PIL import Image
    img = Image.open(path).convert("RGB")
    small = img.resize((img.width // 4, img.height // 4))
    pixels = list(small.getdata())
    background = Counter(pixels).most_common(1)[0][0]  # (max(set, key=count) took 100 s on a tall page)
    ink = sum(1 for p in pixels if sum(abs(a - b) for a, b in zip(p, background)) > 30) / len(pixels)
    return ink, len(set(pixels))


def test_console_errors_are_seen(browser, tmp_path):
    """The check below can fail: a page whose script the policy blocks logs an error."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">"
                    "<p>x</p><script>console.log(1)</script>")
    browser.get(page.as_uri())
    assert console_errors(browser)


def test_report_renders_in_chromium_at_laptop_and_phone_width(browser, tmp_path):
    from selenium.webdriver.common.by import By
    page = tmp_path / "report.html"
    page.write_text(page_for(tmp_path, BROADCAST, checkup=CHECKUP)[1])
    browser.get_log("browser")  # drop earlier messages
    browser.get(page.as_uri())
    assert browser.title.startswith("unstuck")
    first = browser.find_element(By.ID, "finding-1")
    assert "loss-broadcast" in first.text and "train.py:" in first.text
    assert first.is_displayed()
    charts = browser.find_elements(By.CSS_SELECTOR, "figure svg")
    assert len(charts) >= 4 and all(c.size["width"] > 200 and c.size["height"] > 100 for c in charts)
    for width, name in [(1280, "report-laptop.png"), (390, "report-phone.png")]:
        shot = str(tmp_path / name)
        screenshot(browser, shot, width)
        ink, colours = not_blank(shot)
        assert ink > 0.03 and colours > 50, (name, ink, colours)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name}: the page is {overflow}px wider than the window"
    assert console_errors(browser) == []


def test_each_finding_shows_its_evidence_panels_in_chromium(browser, tmp_path):
    """Every root cause's card holds its evidence pictures, visible, sized to be read and
    not blank, in a screenshot of the card itself (laptop width)."""
    import io

    from PIL import Image
    from selenium.webdriver.common.by import By

    from tests.report.test_html import EVIDENCE, evidence_page
    browser.set_window_size(1280, 900)
    for name, (cause, titles) in EVIDENCE.items():
        (tmp_path / name).mkdir()
        page = tmp_path / name / "report.html"
        page.write_text(evidence_page(tmp_path / name, name)[1])
        browser.get(page.as_uri())
        card = browser.find_element(By.ID, "finding-1")
        assert cause in card.text
        figures = card.find_elements(By.CSS_SELECTOR, "figure.evidence")
        assert len(figures) >= len(titles), name
        for fig in figures:
            browser.execute_script("arguments[0].scrollIntoView()", fig)
            svg = fig.find_element(By.TAG_NAME, "svg")
            assert svg.is_displayed() and svg.size["width"] > 300 and svg.size["height"] > 150, (name, svg.size)
            shot = tmp_path / name / f"{fig.get_attribute('data-title')}.png"
            shot.write_bytes(svg.screenshot_as_png)
            img = Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")
            colours = len(set(img.resize((img.width // 2, img.height // 2)).getdata()))
            assert colours > 20, (name, fig.get_attribute("data-title"), colours)
        shown = " ".join(f.text for f in figures)
        for title in titles:
            assert title in shown or any(title == f.get_attribute("data-title") for f in figures), (name, title)
    assert console_errors(browser) == []
