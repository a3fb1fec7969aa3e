"""The session-wide scan of logs for the fixtures' personal data (tests/hardening/log_privacy.py) is wired in."""

from __future__ import annotations

import contextlib
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


def test_no_function_logs_personal_data_when_every_sample_runs():
    """Every sample event of every workflow that calls a Lambda function, once, in one sandbox (callbacks
    answered as the demo does): the function logs hold none of the fixtures' personal data (the session
    scan covers every other test's logs)."""
    from sandbox import catalogue
    from sandbox.core import Sandbox, SandboxError
    from tests.hardening.suite import TEMPLATE, callback_answer_of, seed_files, workflows

    services = catalogue.load(TEMPLATE)

    scan = log_privacy.Scan(log_privacy.SCAN.needles)
    runs = 0
    with Sandbox.from_template(TEMPLATE) as sb:
        for seed in seed_files():
            sb.seed(seed)
        for workflow in workflows():
            if "lambda" not in catalogue.machine_services(services, workflow.slug):
                continue  # no function, no function log: its state machine logs exclude execution data
            answer = callback_answer_of(workflow.slug)
            for sample in workflow.samples:
                arn = sb.start(workflow.slug, sample.read_text())
                with contextlib.suppress(SandboxError):  # a run that never ends: its logs are still read
                    sb.answer_callbacks(arn, approve=answer, wall_timeout=20)
                runs += 1
        assert sb.lambdas is not None
        for function in sb.lambdas.functions.values():
            scan.check(function.logical_id, "".join(function.log))
    assert runs and scan.texts, "nothing ran"
    assert not scan.leaks, scan.leaks
