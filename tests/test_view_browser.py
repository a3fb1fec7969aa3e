"""The execution page in a real browser: headless Chromium through Debian's chromedriver.

Opens the page of a FAILED run (document-processing, no labels) from a file, with the network
unused: the failed state is marked, clicking it shows its error, the history filters by state.
Then a glacier-restore page: the Distributed Map's child executions colour its item processor,
and the runs it set off 48 virtual hours later are lanes of the timeline. Screenshots are kept
as artefacts in .sandbox/artefacts/ (each test prints the path: `pytest -s`, or `-rA`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import view

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events" / "document-processing"
ARTEFACTS = ROOT / ".sandbox" / "artefacts"
CHROMEDRIVER = Path("/usr/bin/chromedriver")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _driver_path() -> str | None:
    if CHROMEDRIVER.is_file():
        return str(CHROMEDRIVER)
    return shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[object]:
    path = _driver_path()
    if path is None:
        if IN_CI:
            pytest.fail("chromedriver is missing in CI: .ci/run installs Debian's chromium and chromium-driver")
        pytest.skip("chromedriver not installed (apt-get install chromium chromium-driver); CI always runs this")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--no-first-run",
                     "--disable-sync", "--window-size=1500,1300",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def failed_page(tmp_path_factory) -> Path:
    from sandbox.core import Sandbox

    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        sb.seed(EVENTS / "objects.json")
        run = sb.run("document-processing", json.loads((EVENTS / "no-labels.json").read_text()))
        assert (run.status, run.path[-1]) == ("FAILED", "NoLabelsDetected")
        return view.write(run, sb.workflow("document-processing").definition,
                          tmp_path_factory.mktemp("page") / "no-labels.html")


def test_failed_run_page_marks_the_failed_state_and_shows_its_error_on_click(browser, failed_page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    driver.get(failed_page.as_uri())
    assert driver.execute_script("return typeof dagre") == "object"  # the inlined layout library ran
    errors = [entry for entry in _console(driver) if entry.get("level") == "SEVERE"]
    assert errors == []

    failed = driver.find_elements(By.CSS_SELECTOR, "g.state.failed")
    assert [node.get_attribute("data-state") for node in failed] == ["NoLabelsDetected"]
    outcomes = {node.get_attribute("data-state"): node.get_attribute("data-outcome")
                for node in driver.find_elements(By.CSS_SELECTOR, "g.state")}
    assert outcomes["DetectLabels"] == "succeeded" and outcomes["RouteDocument"] == "succeeded"
    assert outcomes["AnalyzeLicense"] == "not-reached"
    assert len(driver.find_elements(By.CSS_SELECTOR, "path.edge.taken")) >= 6  # start + 5 moves + end
    assert "FAILED" in driver.find_element(By.ID, "summary").text

    failed[0].click()
    details = driver.find_element(By.ID, "details").text
    assert "NoLabelsDetected" in details
    assert "DocumentProcessing.NoLabelsDetected" in details
    assert "Rekognition found no label above the minimum confidence." in details
    assert "selected" in failed[0].get_attribute("class")

    # The click filtered the history to the state's own events.
    shown = [row for row in driver.find_elements(By.CSS_SELECTOR, "#history tbody tr") if row.is_displayed()]
    assert [row.find_elements(By.TAG_NAME, "td")[2].text for row in shown] == ["NoLabelsDetected"]
    Select(driver.find_element(By.ID, "state-filter")).select_by_value("")
    all_rows = [row for row in driver.find_elements(By.CSS_SELECTOR, "#history tbody tr") if row.is_displayed()]
    assert len(all_rows) == 21

    driver.find_element(By.CSS_SELECTOR, 'g.state[data-state="DetectLabels"]').click()
    details = driver.find_element(By.ID, "details").text
    assert '"count": 0' in details  # its output, pretty-printed

    failed[0].click()
    _screenshot(driver, "view-document-processing-no-labels.png")


@pytest.fixture(scope="module")
def glacier_page(tmp_path_factory) -> Path:
    from sandbox.core import Sandbox

    folder = ROOT / "events" / "glacier-restore"
    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        sb.seed(folder / "objects.json")
        run = sb.run("glacier-restore", json.loads((folder / "missing-key.json").read_text()))
        triggered = [r for r in sb.settle() if r.execution_arn != run.execution_arn]
        return view.write(run, sb.workflow("glacier-restore").definition,
                          tmp_path_factory.mktemp("page") / "glacier.html", triggered=triggered)


def test_map_children_colour_the_item_processor_and_the_runs_set_off_are_timeline_lanes(browser, glacier_page):
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(glacier_page.as_uri())
    assert [entry for entry in _console(driver) if entry.get("level") == "SEVERE"] == []
    inner = 'g.state[data-id="RestoreKeys/ItemProcessor/Keys.HeadObject"]'
    head = driver.find_element(By.CSS_SELECTOR, inner)
    assert head.get_attribute("data-outcome") == "caught"
    assert "2/2 children" in head.text
    head.click()
    details = driver.find_element(By.ID, "details").text
    assert "Entered by 2 of 2 child executions: 1 caught, 1 succeeded" in details
    assert "archive/2019/no-such-report.pdf" in details  # the representative child's input
    assert "TaskFailed" in details  # its events
    shown = [row for row in driver.find_elements(By.CSS_SELECTOR, "#history tbody tr") if row.is_displayed()]
    assert shown and {row.find_elements(By.TAG_NAME, "td")[2].text for row in shown} == {"RestoreKeys"}

    lanes = driver.find_elements(By.CSS_SELECTOR, ".tl-lane")
    # One key was restored: its completion, 48 virtual hours later, ran glacier-restore-complete.
    assert [lane.get_attribute("data-workflow") for lane in lanes] == ["glacier-restore", "glacier-restore-complete"]
    assert all("(48 h)" in lane.text for lane in lanes[1:])
    far = lanes[1].find_element(By.CSS_SELECTOR, ".tl-bar")
    track = lanes[1].find_element(By.CSS_SELECTOR, ".tl-track")
    assert far.location["x"] >= track.location["x"] + 0.9 * track.size["width"]  # at the far end: +48 h
    assert "48 h" in driver.find_element(By.ID, "summary").text
    _screenshot(driver, "view-glacier-restore-missing-key.png")


def _screenshot(driver, name: str) -> Path:
    driver.execute_script("window.scrollTo(0, 0)")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / name
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
    return shot


def _console(driver) -> list[dict]:
    try:
        return driver.get_log("browser")
    except Exception:  # not every driver keeps the console
        return []
