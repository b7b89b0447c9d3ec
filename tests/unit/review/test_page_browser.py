"""The review page in a real browser (Debian's chromium, headless, through chromedriver):
20 questions cleared by keyboard (pick, none, search, undo), the labels file holding exactly
those answers, a server killed mid-queue and started again resuming where it stopped, and a
hostile lead shown as text. Takes the screenshots docs/review.md shows (written to the folder
``LEADMATCH_SCREENSHOTS`` names, if set).

Skipped where chromium or chromedriver is missing, unless ``LEADMATCH_REQUIRE_BROWSER`` is set
(CI sets it, and installs both through apt): there a missing browser fails.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from leadmatch import Labels
from leadmatch._util.resources import demo_text

pytestmark = pytest.mark.process
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
HOSTILE = "<img src=x onerror=alert(1)>"
TRICKY = '\u202eRoth "quoted" <script>alert(2)</script>'


def _browser() -> Any:
    if not (CHROMIUM and DRIVER):
        if os.environ.get("LEADMATCH_REQUIRE_BROWSER"):
            pytest.fail("chromium and chromium-driver are required here (apt install them)")
        pytest.skip("chromium or chromedriver is not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000",
                 "--disable-dev-shm-usage", "--force-device-scale-factor=1"):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(
        service=webdriver.ChromeService(executable_path=DRIVER), options=options
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = _browser()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo accounts and leads, with a company's colleagues whose names are hostile."""
    folder = tmp_path_factory.mktemp("review")
    (folder / "accounts.csv").write_text(demo_text("accounts.csv"), encoding="utf-8")
    rows = list(csv.DictReader(demo_text("leads.csv").splitlines()))
    hostile = [{**rows[0], "lead_id": f"X{n}", "first_name": HOSTILE, "last_name": TRICKY,
                "email": f"p{n}@cwgtech.com", "company": "CW-G Tech",
                "website": "http://www.cwgtech.com/en/", "country": "", "phone": ""}
               for n in range(3)]  # fmt: skip
    with (folder / "leads.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(hostile + rows)
    return {"accounts": folder / "accounts.csv", "leads": folder / "leads.csv",
            "labels": folder / "labels.jsonl", "folder": folder}  # fmt: skip


def _serve(files: dict[str, Path]) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "leadmatch.cli", "review", "--accounts", str(files["accounts"]),
         "--leads", str(files["leads"]), "--labels", str(files["labels"]), "--by", "ana",
         "--bands", "review,unmatched", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    line = server.stdout.readline()
    assert line.startswith("review page: http://127.0.0.1:"), line
    return server, line.split(": ", 1)[1].strip()


def _wait(check: Callable[[], Any], what: str, seconds: float = 20.0) -> Any:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if found := check():
                return found
        except Exception:  # the page is between renders
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Page:
    """What a reviewer sees and presses."""

    def __init__(self, driver: Any, url: str) -> None:
        self.driver = driver
        driver.get(url)
        _wait(lambda: driver.execute_script("return document.body.dataset.ready"), "the page")

    def text(self, element_id: str) -> str:
        return str(self.driver.execute_script(
            f"return document.getElementById('{element_id}').textContent"))  # fmt: skip

    def lead_id(self) -> str:
        return str(self.driver.execute_script(
            "const d=[...document.querySelectorAll('#fields dt')];"
            "const i=d.findIndex(x=>x.textContent==='lead id');"
            "return i<0?'':d[i].nextElementSibling.textContent"))  # fmt: skip

    def listed(self) -> list[str]:
        rows = "[...document.querySelectorAll('#choices > li')]"
        return list(self.driver.execute_script(f"return {rows}.map(x => x.dataset.account)"))

    def press(self, keys: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).send_keys(keys).perform()

    def answered(self) -> int:
        return int(self.text("progress").split()[1])


def test_a_reviewer_clears_20_questions_by_keyboard(
    browser: Any, files: dict[str, Path], tmp_path: Path
) -> None:
    server, url = _serve(files)
    try:
        page = Page(browser, url)
        # The colleagues with hostile names are one question, asked first (4 leads settle).
        assert page.lead_id() == "X0"
        assert page.text("fields").count(HOSTILE) == 1
        # A right-to-left override is shown as what it is, not obeyed.
        assert TRICKY.replace("\u202e", "⟨U+202E⟩") in page.text("fields")
        assert (
            browser.execute_script(
                "return document.querySelectorAll('img,script:not([src])').length"
            )
            == 0
        )
        assert "also settles 3 other leads" in page.text("settles")
        _shoot(browser, "review-page.png")
        # Two quick presses answer the question on screen once, not the next one unseen.
        page.press("nn")
        _wait(lambda: page.answered() == 1, "the first answer")
        time.sleep(0.5)
        assert page.answered() == 1
        expected: dict[str, str | None] = {"X0": None}
        for n in range(1, 20):
            lead, listed = page.lead_id(), page.listed()
            answer = _act(page, n, listed)
            expected[lead] = answer
            _wait(lambda n=n, lead=lead: page.answered() == n + 1 and page.lead_id() != lead,
                  f"the question after answer {n + 1} ({lead}: {page.text('status')})")  # fmt: skip
        assert page.answered() == 20
    finally:
        server.kill()  # mid-queue, as a crash would: no clean shutdown
        server.wait()
    in_force = {label.lead_id: label.account_id for label in Labels(files["labels"]).read()}
    assert in_force == expected
    assert all(label.by == "ana" for label in Labels(files["labels"]).read())
    _resumes(browser, files, set(expected))


def _act(page: Page, n: int, listed: list[str]) -> str | None:
    """Answer the question at hand the ``n``-th way; the answer it gives."""
    kind = n % 5
    if kind == 0 and listed:  # the first candidate
        page.press("1")
        return listed[0]
    if kind == 1:  # none of these
        page.press("n")
        return None
    if kind == 2:  # search another account by its name, pick it with Enter
        page.press("/")
        page.press("Goldpeak France")
        _wait(lambda: page.text("list-title").startswith("Accounts for"), "the search")
        if n == 2:
            _shoot(page.driver, "review-search.png")
        found = page.listed()
        page.press("\ue007")  # Enter
        return found[0]
    if kind == 3 and len(listed) > 1:  # the second candidate
        page.press("2")
        return listed[1]
    # Pick, then take it back, then say none: the file keeps the last answer only.
    before = page.answered()
    page.press("1" if listed else "n")
    _wait(lambda: page.answered() == before + 1, "an answer")
    page.press("u")
    _wait(lambda: page.answered() == before, "the undo")
    page.press("n")
    return None


def _resumes(browser: Any, files: dict[str, Path], answered: set[str]) -> None:
    server, url = _serve(files)
    try:
        page = Page(browser, url)
        assert page.answered() == 0
        assert page.lead_id() not in answered
        assert page.text("progress").startswith("answered 0 · left ")
        settled = float(page.text("progress").split(" · ")[2].split("%")[0])
        assert settled > 0  # the answers before the crash count
    finally:
        server.terminate()
        server.wait()


def _shoot(driver: Any, name: str) -> None:
    folder = os.environ.get("LEADMATCH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / name))
