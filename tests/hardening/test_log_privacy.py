"""The session-wide scan of logs for the fixtures' personal data (tests/hardening/log_privacy.py) is wired in."""

from __future__ import annotations

import logging

from sandbox import core
from tests.hardening import log_privacy
from tests.hardening.suite import personal_data


def test_the_scan_looks_for_every_personal_datum_of_the_fixtures():
    assert personal_data(), "events/** holds no e-mail, licence number or date of birth any more?"
    assert set(log_privacy.SCAN.needles) == {value.casefold() for value in personal_data()}


def test_the_scan_listens_to_function_logs_and_to_python_logging():
    assert log_privacy._function_logs in core.RECORDERS
    assert log_privacy._HANDLER in logging.getLogger().handlers


def test_a_line_with_personal_data_is_reported():
    scan = log_privacy.Scan(log_privacy.SCAN.needles)
    datum = sorted(personal_data())[0]
    scan.check("here", "request abc accepted")
    scan.check("there", f"applicant {datum.upper()} accepted")
    assert [(where, needle) for where, needle, _ in scan.leaks] == [("there", datum.casefold())]
