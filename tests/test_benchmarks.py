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
