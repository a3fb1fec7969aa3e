"""The start and inline-Map benchmarks measure what they claim to (their figures are never asserted)."""

from __future__ import annotations

import pytest

from benchmarks import inline_map, start


def test_inline_map_benchmark_runs_every_item_on_one_worker() -> None:
    result = inline_map.bench(50)
    assert (result["status"], result["input_items_back"]) == ("SUCCEEDED", 50)


@pytest.mark.slow
def test_start_benchmark_splits_one_new_process_into_its_phases() -> None:
    phases = start.phases()
    assert set(phases) == {"total", "imports", "enter", "execution", "exit"}
    assert all(value >= 0 for value in phases.values())
