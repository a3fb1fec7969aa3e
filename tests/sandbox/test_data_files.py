"""botocore's data files and templates parsed once and kept on disk, each load a copy of its own."""

from __future__ import annotations

import gzip
import json
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import botocore.loaders
import pytest

from sandbox import data_files, session
from sandbox.moto_fixes import program_cache

MODEL = {"metadata": {"serviceId": "Example"}, "operations": {"B": {"name": "B"}, "A": {"name": "A"}}}


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(program_cache.CACHE_DIR_VARIABLE, str(tmp_path / "cache"))
    return tmp_path / "cache" / "botocore-data"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The data files botocore's own code parses (the cache answers the others)."""
    parsed: list[str] = []
    parse = botocore.loaders.JSONFileLoader._load_file

    def counting(self: Any, full_path: str, open_method: Any) -> Any:
        if os.path.isfile(full_path):
            parsed.append(Path(full_path).name)
        return parse(self, full_path, open_method)

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "_load_file", counting)
    return parsed


def _data_file(folder: Path, name: str, data: Any, *, gzipped: bool = False) -> str:
    """The path botocore's loaders give `load_file`: without the extension."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data).encode()
    if gzipped:
        (folder / f"{name}.json.gz").write_bytes(gzip.compress(text))
    else:
        (folder / f"{name}.json").write_bytes(text)
    return str(folder / name)


def test_a_file_is_parsed_once_ever_and_loads_as_botocore_loads_it(tmp_path: Path, cache_dir: Path,
                                                                   parses: list[str]) -> None:
    path = _data_file(tmp_path / "data", "service-2", MODEL, gzipped=True)
    expected = botocore.loaders.JSONFileLoader().load_file(path)
    first = data_files.CachedJSONFileLoader().load_file(path)
    again = data_files.CachedJSONFileLoader().load_file(path)  # another process: from the disk cache
    assert first == again == expected == MODEL
    assert isinstance(again, OrderedDict) and isinstance(again["operations"], OrderedDict)
    assert list(again["operations"]) == ["B", "A"]
    assert parses == ["service-2.json.gz", "service-2.json.gz"]  # botocore's reference, then the first load only
    assert len(list(cache_dir.glob("*.pickle"))) == 1


def test_each_load_is_a_copy_of_its_own(tmp_path: Path, cache_dir: Path) -> None:
    path = _data_file(tmp_path / "data", "service-2", MODEL)
    loader = data_files.CachedJSONFileLoader()
    first = loader.load_file(path)
    first["operations"]["C"] = {"name": "C"}  # as a loader merges its extras into what it loaded
    assert loader.load_file(path) == MODEL


def test_a_changed_file_is_parsed_again(tmp_path: Path, cache_dir: Path, parses: list[str]) -> None:
    path = _data_file(tmp_path / "data", "service-2", MODEL)
    loader = data_files.CachedJSONFileLoader()
    loader.load_file(path)
    changed = {**MODEL, "version": "2.0"}
    _data_file(tmp_path / "data", "service-2", changed)
    os.utime(f"{path}.json", ns=(1, 1))  # a new size and time: a botocore upgrade rewrites its files
    assert loader.load_file(path) == changed
    assert parses == ["service-2.json", "service-2.json"]


def test_a_torn_cache_file_is_parsed_again_and_replaced(tmp_path: Path, cache_dir: Path,
                                                        parses: list[str]) -> None:
    path = _data_file(tmp_path / "data", "service-2", MODEL)
    data_files.CachedJSONFileLoader().load_file(path)
    [cached] = cache_dir.glob("*.pickle")
    cached.write_bytes(cached.read_bytes()[:10])
    assert data_files.CachedJSONFileLoader().load_file(path) == MODEL
    assert data_files.CachedJSONFileLoader().load_file(path) == MODEL
    assert parses == ["service-2.json", "service-2.json"]  # the torn file once, then the replaced one


def test_a_missing_file_is_none_and_an_empty_setting_keeps_data_in_memory(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          parses: list[str]) -> None:
    monkeypatch.setenv(program_cache.CACHE_DIR_VARIABLE, "")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    loader = data_files.CachedJSONFileLoader()
    assert loader.load_file(str(tmp_path / "nowhere")) is None
    path = _data_file(tmp_path / "data", "service-2", MODEL)
    assert loader.load_file(path) == loader.load_file(path) == MODEL
    assert data_files.cache_dir() is None
    assert parses == ["service-2.json"]
    assert not list(tmp_path.rglob("*.pickle"))


def test_the_sandbox_and_moto_read_botocore_data_through_the_cache() -> None:
    from moto.core import utils

    from sandbox.moto_fixes import shared_loader

    shared_loader.install()
    assert session.data_loader().file_loader is data_files.file_loader()
    assert utils.create_loader().file_loader is data_files.file_loader()
    # A service model as botocore reads it, extras merged: what the clients and moto's responses get.
    model = session.data_loader().load_service_model("dynamodb", "service-2")
    assert "PutItem" in model["operations"]


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folder walks botocore's own listing makes."""
    walked: list[str] = []
    walk = botocore.loaders.Loader.list_available_services

    def counting(self: Any, type_name: str) -> Any:
        walked.append(type_name)
        return walk(self, type_name)

    monkeypatch.setattr(botocore.loaders.Loader, "list_available_services", counting)
    return walked


def test_the_services_of_installed_data_are_listed_once_ever(cache_dir: Path, walks: list[str]) -> None:
    loaders = []
    for _process in range(2):
        loader = botocore.loaders.Loader()  # botocore's data only: no ~/.aws/models, no AWS_DATA_PATH
        loader._search_paths = [botocore.loaders.Loader.BUILTIN_DATA_PATH]
        data_files.cache_listings(loader)
        loaders.append(loader)
    first = loaders[0].list_available_services("service-2")
    again = loaders[1].list_available_services("service-2")
    assert first == again and "dynamodb" in first and "stepfunctions" in first
    assert walks == ["service-2"]  # the second loader (another process) read the first one's listing
    assert loaders[1].list_available_services("waiters-2") != first  # each type has its own listing
    assert walks == ["service-2", "waiters-2"]


def test_a_search_path_with_other_data_is_walked_as_botocore_walks_it(tmp_path: Path, cache_dir: Path,
                                                                      walks: list[str]) -> None:
    _data_file(tmp_path / "models" / "example" / "2020-01-01", "service-2", MODEL)
    for _process in range(2):
        loader = botocore.loaders.Loader(extra_search_paths=[str(tmp_path / "models")])
        data_files.cache_listings(loader)
        assert "example" in loader.list_available_services("service-2")
    assert walks == ["service-2", "service-2"]  # a folder no install owns can change any time: never cached
    assert not list(cache_dir.glob("*.services.pickle"))


def test_aws_sdk_service_names_come_from_the_listing() -> None:
    from sandbox.moto_fixes.unimplemented import sdk_client_name

    assert [sdk_client_name(name) for name in ("s3", "sfn", "bedrockagent", "dynamodb")] == [
        "s3", "stepfunctions", "bedrock-agent", "dynamodb"]


# -- templates -------------------------------------------------------------------------------------

TEMPLATE = """AWSTemplateFormatVersion: 2010-09-09
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-bucket"
"""


def test_a_template_is_parsed_once_ever(tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox import template_yaml

    parsed: list[str] = []
    loads = template_yaml.loads_template
    monkeypatch.setattr(template_yaml, "loads_template", lambda text: parsed.append(text) or loads(text))
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    first = template_yaml.load_template(path)
    template_yaml._parsed.cache_clear()  # another process
    again = template_yaml.load_template(path)
    assert first == again == loads(TEMPLATE)
    assert again["AWSTemplateFormatVersion"] == "2010-09-09"  # text, as CloudFormation keeps it
    assert again["Resources"]["Bucket"]["Properties"]["BucketName"] == {"Fn::Sub": "${AWS::StackName}-bucket"}
    assert len(parsed) == 1
    path.write_text(TEMPLATE + "Outputs: {}\n")
    os.utime(path, ns=(1, 1))
    assert "Outputs" in template_yaml.load_template(path)  # a changed text is parsed again
    assert len(parsed) == 2
    for cached in cache_dir.parent.glob("*.template.pickle"):
        cached.write_bytes(b"torn")
    template_yaml._parsed.cache_clear()
    assert template_yaml.load_template(path)["Outputs"] == {}
    assert len(parsed) == 3


def test_a_template_that_does_not_parse_is_not_kept(tmp_path: Path, cache_dir: Path) -> None:
    from sandbox import template_yaml
    from sandbox.intrinsics import TemplateError

    path = tmp_path / "template.yaml"
    path.write_text("Resources: [unclosed\n")
    with pytest.raises(TemplateError, match="not valid YAML"):
        template_yaml.load_template(path)
    assert not list(cache_dir.parent.glob("*.template.pickle"))
