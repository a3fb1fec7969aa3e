"""The approval page in a real browser: headless Chromium opens the link of a waiting execution and clicks Approve.

Runs in CI (CI=true): a missing chromedriver there is a failure. Elsewhere it is skipped only when
chromedriver is missing. A screenshot of the page before the click is saved under .sandbox/.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.workflows.test_it_provisioning import APPROVER, event, fresh, request_id_of

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".sandbox"
IN_CI = os.environ.get("CI", "").lower() == "true"

pytestmark = pytest.mark.skipif(not IN_CI and not Path(CHROMEDRIVER).is_file(),
                                reason=f"{CHROMEDRIVER} not installed (apt-get install chromium chromium-driver)")


def chromium(profile: str):  # -> selenium WebDriver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    if Path(CHROMIUM).is_file():
        options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", f"--user-data-dir={profile}", "--window-size=1000,900"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


@pytest.mark.slow
def test_approver_opens_the_link_clicks_approve_and_the_execution_succeeds():
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    profile = tempfile.mkdtemp(prefix="itp-chromium-")
    try:
        with fresh() as suite:
            arn = suite.sb.start("it-provisioning", event("needs-approval"))
            message = suite.wait_for_approval(1)
            link = suite.links(message)["review"]  # the e-mailed link, its origin swapped for the local server
            assert link.startswith(suite.server.url + "/v1/approvals/")
            browser = chromium(profile)
            try:
                browser.get(link)
                WebDriverWait(browser, 20).until(ready.element_to_be_clickable((By.ID, "approve")))
                assert "Approve IT provisioning request" in browser.title
                page = browser.find_element(By.TAG_NAME, "body").text
                assert "orders-ingest" in page and "USD 19.60 per month" in page and APPROVER in page
                browser.find_element(By.ID, "comment").send_keys("Approved from the browser test")
                SCREENSHOTS.mkdir(exist_ok=True)
                browser.save_screenshot(str(SCREENSHOTS / "it-provisioning-approval-page.png"))
                browser.find_element(By.ID, "approve").click()
                result = WebDriverWait(browser, 20).until(ready.presence_of_element_located((By.ID, "result")))
                assert result.get_attribute("data-outcome") == "approved"
                assert "the resources are being provisioned" in result.text
                browser.save_screenshot(str(SCREENSHOTS / "it-provisioning-approved.png"))
                # The link is single-use: opening it again says so.
                browser.get(link)
                again = WebDriverWait(browser, 20).until(ready.presence_of_element_located((By.ID, "result")))
                assert again.get_attribute("data-outcome") == "used"
            finally:
                browser.quit()
            run = suite.sb.wait(arn)
            assert run.succeeded, (run.error, run.cause)
            assert run.path[3:5] == ["RequestApproval", "RecordApproval"] and run.path[-1] == "Provisioned"
            trail = suite.audit(request_id_of(run))
            approved = next(i for i in trail if i["event"] == "APPROVED")
            answer = json.loads(approved["detail"])
            assert (answer["approver"], answer["comment"]) == (APPROVER, "Approved from the browser test")
            assert "HeadlessChrome" in answer["userAgent"]  # the click's user agent, in the audit trail
    finally:
        shutil.rmtree(profile, ignore_errors=True)
