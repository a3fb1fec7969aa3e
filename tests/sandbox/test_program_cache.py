"""Programs built once per definition text and code, kept on disk, never shared (moto_fixes.program_cache)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess  # nosec B404: runs this test's own Python with a fixed snippet
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from sandbox.moto_fixes import program_cache
from tests.sandbox.engine_helpers import ENGINE_CONFIG, create_machine, output_of, run

ROOT = Path(__file__).resolve().parents[2]
PASS_DEFINITION = {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": {"hello": "world"},
                                                            "ResultPath": "$.greeting", "End": True}}}


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh disk cache, and a process that has built nothing yet."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(program_cache.CACHE_DIR_VARIABLE, str(folder))
    program_cache.forget()
    program_cache.code_fingerprint.cache_clear()  # the sandbox's files as they are now
    yield folder
    program_cache.forget()


@pytest.fixture
def engine(cache_dir: Path) -> Iterator[Path]:
    with mock_aws(config=ENGINE_CONFIG):
        program_cache.install()
        yield cache_dir


def _text(definition: dict[str, Any]) -> str:
    return json.dumps(definition)


def _parse(text: str) -> Any:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    return AmazonStateLanguageParser.parse(text)[0]


def test_creating_a_machine_stores_its_program_on_disk(engine: Path) -> None:
    create_machine(PASS_DEFINITION)
    assert program_cache.stored(_text(PASS_DEFINITION)) is not None
    assert len(list(engine.glob("*.pickle"))) == 1


def test_a_new_process_finds_the_program_on_disk_without_parsing(cache_dir: Path) -> None:
    text = _text(PASS_DEFINITION)
    program_cache.build(text, _parse)
    program_cache.forget()  # as a new process: nothing in memory

    def parse_again(_text: str) -> Any:
        raise AssertionError("parsed again despite the disk cache")

    assert type(program_cache.program(text, parse_again)).__name__ == "Program"


def test_each_execution_gets_a_program_of_its_own(cache_dir: Path) -> None:
    text = _text(PASS_DEFINITION)
    first, second = program_cache.program(text, _parse), program_cache.program(text, _parse)
    assert first is not second
    assert first.start_at.start_at_name == second.start_at.start_at_name == "Hello"


def test_another_text_is_another_entry(cache_dir: Path) -> None:
    program_cache.build(_text(PASS_DEFINITION), _parse)
    other = {**PASS_DEFINITION, "Comment": "same states, other text"}
    assert program_cache.stored(_text(other)) is None
    assert program_cache.cache_key(_text(other)) != program_cache.cache_key(_text(PASS_DEFINITION))


def test_another_moto_version_misses_the_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _text(PASS_DEFINITION)
    program_cache.build(text, _parse)
    program_cache.forget()
    with monkeypatch.context() as patched:
        patched.setattr(program_cache.importlib.metadata, "version", lambda _name: "99.0.0")
        program_cache.code_fingerprint.cache_clear()
        assert program_cache.stored(text) is None
    program_cache.code_fingerprint.cache_clear()
    assert program_cache.stored(text) is not None


def test_an_edited_sandbox_module_misses_the_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox's patches shape the program: a change to its code is a new key."""
    text = _text(PASS_DEFINITION)
    before = program_cache.cache_key(text)
    fake_tree = cache_dir.parent / "sandbox"
    (fake_tree / "moto_fixes").mkdir(parents=True)
    (fake_tree / "moto_fixes" / "a_fix.py").write_text("# v1\n")
    with monkeypatch.context() as patched:
        patched.setattr(program_cache, "_SANDBOX_DIR", fake_tree)
        program_cache.code_fingerprint.cache_clear()
        with_v1 = program_cache.cache_key(text)
        (fake_tree / "moto_fixes" / "a_fix.py").write_text("# version 2\n")
        program_cache.code_fingerprint.cache_clear()
        assert len({before, with_v1, program_cache.cache_key(text)}) == 3
    program_cache.code_fingerprint.cache_clear()


def test_an_invalid_definition_is_refused_and_never_stored(engine: Path) -> None:
    bad = {"StartAt": "Nowhere", "States": {"Hello": {"Type": "Pass", "Nxt": "x"}}}
    with pytest.raises(ClientError) as raised:
        create_machine(bad)
    assert "ASLParserException" in raised.value.response["Error"]["Message"]  # moto's own refusal, as without the cache
    assert program_cache.stored(_text(bad)) is None
    assert not list(engine.glob("*.pickle"))


def test_executions_run_from_the_cached_program(engine: Path) -> None:
    assert output_of(run(PASS_DEFINITION, {"n": 1})) == {"n": 1, "greeting": {"hello": "world"}}
    program_cache.forget()  # next execution: from the disk file
    assert output_of(run(PASS_DEFINITION, {"n": 2})) == {"n": 2, "greeting": {"hello": "world"}}


def test_a_corrupt_cache_file_is_rebuilt(cache_dir: Path) -> None:
    text = _text(PASS_DEFINITION)
    cache_dir.mkdir(parents=True)
    (cache_dir / f"{program_cache.cache_key(text)}.pickle").write_bytes(b"not a pickle")
    assert program_cache.program(text, _parse).start_at.start_at_name == "Hello"
    assert pickle.loads(program_cache.stored(text) or b"")  # nosec B301: written by the cache just now


def test_an_empty_cache_dir_setting_keeps_programs_in_memory_only(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(program_cache.CACHE_DIR_VARIABLE, "")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    program_cache.forget()
    program_cache.build(_text(PASS_DEFINITION), _parse)
    assert program_cache.cache_dir() is None
    assert program_cache.stored(_text(PASS_DEFINITION)) is not None
    assert not list(tmp_path.rglob("*.pickle"))
    program_cache.forget()


def test_default_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(program_cache.CACHE_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert program_cache.cache_dir() == tmp_path / "stepfunctions-sandbox" / "programs"


def test_an_unwritable_cache_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(program_cache.CACHE_DIR_VARIABLE, str(blocker / "cache"))  # a folder under a file
    program_cache.forget()
    assert program_cache.program(_text(PASS_DEFINITION), _parse).start_at.start_at_name == "Hello"
    program_cache.forget()


_WRITER = textwrap.dedent("""
    import sys
    from sandbox.moto_fixes import program_cache
    definition, size, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for n in range(rounds):
        blob = bytes([n % 256]) * size
        program_cache._write(definition, blob)
        seen = program_cache._read(definition)
        # Another writer may have won the rename: any whole blob is fine, a torn one is not.
        assert seen is not None and len(seen) == size and len(set(seen)) == 1, "torn cache file"
    print("ok")
""")


@pytest.mark.slow
def test_processes_writing_the_same_entry_at_once_never_see_a_torn_file(cache_dir: Path) -> None:
    definition = _text(PASS_DEFINITION)
    env_cache = {program_cache.CACHE_DIR_VARIABLE: str(cache_dir)}
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, definition, str(2_000_000), "15"],  # nosec B603
                                cwd=ROOT, env={**os.environ, **env_cache}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
               for _ in range(3)]
    results = [writer.communicate(timeout=120) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0, 0], [err for _out, err in results]
    assert [out.strip() for out, _err in results] == ["ok", "ok", "ok"]
    assert len(list(cache_dir.glob("*.pickle"))) == 1
    assert not list(cache_dir.glob(".tmp-*"))  # every temporary file was renamed into place


BRANCHING_DEFINITION = {
    "StartAt": "Check",
    "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": 0, "Next": "Refuse"}],
                  "Default": "Each"},
        "Refuse": {"Type": "Fail", "Error": "Negative", "Cause": "n < 0"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
                 "ItemSelector": {"item.$": "$$.Map.Item.Value", "n.$": "$.n"},
                 "ItemProcessor": {"StartAt": "Double", "States": {
                     "Double": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($.item, $.item)"},
                                "End": True}}},
                 "ResultPath": "$.doubled", "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"n.$": "$.n", "doubled.$": "$.doubled[*].twice"}, "End": True},
    },
}


def _start(arn: str, payload: Any) -> str:
    from tests.sandbox.engine_helpers import sfn_client, wait_done

    started = sfn_client().start_execution(stateMachineArn=arn, name=uuid.uuid4().hex,
                                           input=json.dumps(payload))["executionArn"]
    wait_done(started)
    return started


def _events(execution_arn: str) -> list[dict[str, Any]]:
    from tests.sandbox.engine_helpers import history

    return [{key: value for key, value in event.items() if key != "timestamp"} for event in history(execution_arn)]


def test_a_succeeded_execution_hands_its_program_to_the_next_of_the_same_text(
        engine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unpickled: list[str] = []
    stored = program_cache.stored
    monkeypatch.setattr(program_cache, "stored", lambda text: unpickled.append(text) or stored(text))
    arn = create_machine(BRANCHING_DEFINITION)
    unpickled.clear()  # (CreateStateMachine looks the text up too)
    first = _start(arn, {"n": 1, "items": [1, 2, 3]})
    again = _start(arn, {"n": 1, "items": [1, 2, 3]})
    other = _start(arn, {"n": 2, "items": [5]})
    assert len(unpickled) == 1  # the first execution's program served the two after it
    assert _events(again) == _events(first)
    from tests.sandbox.engine_helpers import sfn_client

    assert json.loads(sfn_client().describe_execution(executionArn=other)["output"]) == {"n": 2, "doubled": [10]}


def test_a_failed_execution_keeps_its_program_to_itself(engine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unpickled: list[str] = []
    stored = program_cache.stored
    monkeypatch.setattr(program_cache, "stored", lambda text: unpickled.append(text) or stored(text))
    arn = create_machine(BRANCHING_DEFINITION)
    unpickled.clear()
    _start(arn, {"n": -1, "items": []})
    _start(arn, {"n": -1, "items": []})
    assert len(unpickled) == 2
    first = _start(arn, {"n": 1, "items": [4]})
    again = _start(arn, {"n": 1, "items": [4]})
    assert len(unpickled) == 3
    assert _events(again) == _events(first)


def test_a_handed_back_program_goes_to_one_execution_only(cache_dir: Path) -> None:
    text = _text(PASS_DEFINITION)
    done = program_cache.program(text, _parse)
    program_cache.release(text, done)
    assert program_cache.program(text, _parse) is done
    assert program_cache.program(text, _parse) is not done
