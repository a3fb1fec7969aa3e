"""Every conformance case behaves on the sandbox as AWS documents it (cases/<chapter>.json).

Each case cites the AWS documentation page its expected outcome comes from. One sandbox runs
all of them; `python -m tests.conformance` compares the same cases with plain moto.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conformance.runner import CHAPTERS, Case, Engine, load_cases, mismatch, open_engine, run_case

CASES = load_cases()


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with open_engine("sandbox") as opened:
        yield opened


def test_every_chapter_has_cases_and_the_suite_has_150() -> None:
    assert {case.chapter for case in CASES} == set(CHAPTERS)
    assert len(CASES) >= 150
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case_conforms(engine: Engine, case: Case) -> None:
    assert case.doc.startswith("https://docs.aws.amazon.com/step-functions/")
    assert mismatch(case, run_case(engine, case)) is None


def test_readme_table_counts_every_case() -> None:
    """The README's table (`python -m tests.conformance --write`) is refreshed when cases change."""
    from tests.conformance.__main__ import BEGIN, END, README

    block = README.read_text().split(BEGIN)[1].split(END)[0]
    assert f"| **all** | **{len(CASES)}** | **{len(CASES)}** |" in block
