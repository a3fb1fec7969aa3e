"""The session-wide scan of logs for the fixtures' personal data (tests/hardening/log_privacy.py) is wired in."""

from __future__ import annotations

import contextlib
import logging

import pytest

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


def test_no_function_logs_personal_data_when_every_sample_runs(request):
    """Every sample event of every workflow that calls a Lambda function, once, in one sandbox (callbacks
    answered as the demo does): the function logs hold none of the fixtures' personal data.

    Skipped when the session also runs these workflows' own test files (`make test`): they run every
    sample and the session scan reads their function logs; this keeps the check for tests/hardening alone."""
    from sandbox.core import SandboxError
    from suite_docs import catalogue, metadata
    from tests.hardening.suite import TEMPLATE, callback_answer_of, seeded_sandbox, workflows

    services = catalogue.load(TEMPLATE)
    chosen = [w for w in workflows() if "lambda" in metadata.machine_services(services, w.slug)]
    files = {metadata.tests_file(services, w.slug) for w in chosen}
    if None not in files and files <= {item.nodeid.split("::")[0] for item in request.session.items}:
        pytest.skip(f"{', '.join(sorted(files))} run every sample in this session; the session scan reads their logs")

    scan = log_privacy.Scan(log_privacy.SCAN.needles)
    runs = 0
    with seeded_sandbox() as sb:
        for workflow in chosen:  # a workflow without functions has no function log
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
