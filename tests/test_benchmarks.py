"""The benchmarks still measure what they claim to (their figures are never asserted: only their paths)."""

from __future__ import annotations

from benchmarks import __main__ as benchmarks
from benchmarks import glacier_restore
from tests.test_cli import LICENCE_PATH


def test_document_processing_benchmark_measures_the_whole_licence_path() -> None:
    assert benchmarks.document_processing(repeat=2)["states"] == len(LICENCE_PATH)


def test_glacier_benchmark_restores_every_object_it_seeds() -> None:
    result = glacier_restore.bench(12)
    assert (result["status"], result["started"], result["skipped"], result["failed"]) == ("SUCCEEDED", 12, 0, 0)


def test_glacier_story_goes_through_48_virtual_hours_to_the_final_message() -> None:
    result = glacier_restore.story()
    assert result["virtual_hours"] >= 48 and result["messages"] == 2


def test_serve_load_benchmark_answers_every_request_and_accounts_for_every_execution() -> None:
    from benchmarks import serve_load

    # One JSONPath workflow behind the routes here: the account-application route runs in the full benchmark.
    mix = {"create_request": 1, "read_request": 1, "wrong_code": 1, "refused": 1}
    result = serve_load.bench(8, 2, deadline=120, timeout=60, settle_timeout=120, mix=mix)
    assert (result["sent"], result["answered"], result["resets"], result["5xx"]) == (8, 8, 0, 0)
    assert result["status_by_route"]["create_request"] == {"202": 2}
    assert result["status_by_route"]["wrong_code"] == {"403": 2} and result["status_by_route"]["refused"] == {"400": 2}
    accounting = result["accounting"]
    assert accounting["accepted"] == {"it-provisioning": 2, "account-application": 0}
    assert accounting["not_exactly_one_execution"] == [] and accounting["executions_without_an_accepted_request"] == 0
    assert accounting["not_terminal"] == 0 and accounting["settled"]
