"""The benchmarks still measure what they claim to (their figures are never asserted: only their paths)."""

from __future__ import annotations

import json

from benchmarks import __main__ as benchmarks
from benchmarks import glacier_restore, plain_moto
from tests.test_cli import LICENCE_PATH


def test_document_processing_benchmark_measures_the_whole_licence_path() -> None:
    result = benchmarks.document_processing(repeat=2)
    assert result["states"] == len(LICENCE_PATH) and len(result["samples_ms"]) == 2


def test_the_licence_path_is_the_same_through_botocore() -> None:
    assert benchmarks.document_processing(repeat=1, direct_calls=False)["states"] == len(LICENCE_PATH)


def test_glacier_benchmark_restores_every_object_it_seeds_and_post_processes_each() -> None:
    result = glacier_restore.bench(6, post_processing=True)
    assert (result["status"], result["started"], result["skipped"], result["failed"]) == ("SUCCEEDED", 6, 0, 0)
    assert result["post_processed"] == 6


def test_finish_restores_reads_the_counts_once_the_fired_timers_work_is_done() -> None:
    """A restore's completion timer holds the clock while it emits its event: counted before it is done, the
    restore looked unfinished and the clock was moved on, past the restored copy's expiry (copy failed)."""
    from types import SimpleNamespace

    busy_polls = [True, True, True]
    done = SimpleNamespace(workflow=glacier_restore.COMPLETE, status="SUCCEEDED")

    class Clock:
        advanced = 0

        @property
        def is_busy(self) -> bool:
            return bool(busy_polls) and busy_polls.pop()

        def advance_to_next(self, **_: object) -> bool:
            self.advanced += 1
            return True

    def published(_bus: object, detail_type: str) -> list[int]:  # the event goes out as the timer ends
        return [1] if detail_type == "Object Restore Initiated" or not busy_polls else []

    clock = Clock()
    sb = SimpleNamespace(clock=clock, published=published, executions=lambda: [done] if not busy_polls else [])
    assert glacier_restore.finish_restores(sb, wall_timeout=2) == [done]  # type: ignore[arg-type]
    assert clock.advanced == 0


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

def test_the_plain_moto_baseline_runs_the_same_loop() -> None:
    definition = (benchmarks.FIXTURE.parent / "statemachines" / "loop.asl.json").read_text()
    result = plain_moto.run(definition, json.dumps({"limit": 3, "count": 0}), 2)
    assert result["transitions"] == 7 and len(result["seconds"]) == 2  # (Increment, Again) x 3, Done


def test_each_row_puts_the_figure_beside_its_baseline_and_their_ratio() -> None:
    figure = benchmarks.Figure("one execution", "ms", [10.0, 12.0, 11.0], "botocore path", [20.0, 22.0, 30.0],
                               "13 states")
    assert figure.row() == "| one execution (13 states; 3 runs) | 10 / 11 ms | 20 / 22 ms | botocore path | 2.0x |"
    recorded = benchmarks.Figure("`make test`", "s", [151.0], "-", [])
    assert recorded.row() == "| `make test` (1 run) | 151 / 151 s | - | - | - |"


def test_write_readme_replaces_only_the_generated_block(tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nProse.\n\n{benchmarks.README_START}\nold\n{benchmarks.README_END}\n\nMore prose.\n")
    block = benchmarks.table([benchmarks.Figure("CLI start", "s", [1.0], "imports only", [0.5])])
    benchmarks.write_readme(block, readme)
    text = readme.read_text()
    assert text.startswith("# Title\n\nProse.\n\n<!-- bench:start -->\n")
    assert text.endswith("<!-- bench:end -->\n\nMore prose.\n")
    assert "| CLI start (1 run) | 1 / 1 s | 0.5 / 0.5 s | imports only | 0.5x |" in text and "old" not in text


def test_the_readme_has_one_performance_block() -> None:
    text = benchmarks.README.read_text()
    assert text.count(benchmarks.README_START) == 1 and text.count(benchmarks.README_END) == 1
