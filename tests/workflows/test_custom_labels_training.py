"""Custom Labels training, end to end in the sandbox: every outcome, every wait loop, every Retry and Catch.

Inputs come from events/custom-labels-training/; poll schedules, error names and Fail states are read
from the ASL, never re-declared here. The Rekognition Custom Labels fake moves datasets and model
versions through their statuses on the virtual clock; its durations and `fail(...)` drive the
failure cases. Each case is a function of the sandbox so that the coverage test at the end can
replay every case itself, in any test order.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from sandbox.asl_graph import parse
from sandbox.core import Run, Sandbox
from sandbox.coverage import coverage

ROOT = Path(__file__).resolve().parents[2]
SLUG = "custom-labels-training"
EVENTS = ROOT / "events" / SLUG
BUCKET = "TrainingBucket"
TOPIC = "TrainingNotificationTopic"
ERROR_PREFIX = "CustomLabelsTraining."
DEFINITION = json.loads((ROOT / "statemachines" / f"{SLUG}.asl.json").read_text())
STATES = DEFINITION["States"]


@contextmanager
def fresh() -> Iterator[Sandbox]:
    """The template offline (bucket policies included), training objects seeded."""
    with Sandbox.from_template(ROOT / "template.yaml") as sandbox:
        sandbox.seed(EVENTS / "objects.json")
        yield sandbox


@pytest.fixture
def training() -> Iterator[Sandbox]:
    """Function-scoped: every test starts with no project, a fresh fault plan, fake and clock."""
    with fresh() as sandbox:
        yield sandbox


def s3() -> Any:
    return boto3.client("s3", region_name="us-east-1")


def rekognition() -> Any:
    return boto3.client("rekognition", region_name="us-east-1")


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def happy_with(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(event("happy"))
    body.update(changes)
    return body


def fail_error(state: str) -> str:
    return STATES[state]["Error"]


def projects(name: str | None = None) -> list[dict[str, Any]]:
    found = rekognition().describe_projects()["ProjectDescriptions"]
    return [p for p in found if name is None or p["ProjectArn"].split("/")[1] == name]


SEEDED_PROJECTS = json.loads((EVENTS / "objects.json").read_text())["fake:custom_labels"]["projects"]
"""Projects that objects.json creates before every run (the project-exists sample's)."""


def new_projects() -> list[dict[str, Any]]:
    """The projects a run created: all but the seeded ones."""
    return [p for p in projects() if p["ProjectArn"].split("/")[1] not in SEEDED_PROJECTS]


def versions(project_arn: str) -> list[dict[str, Any]]:
    return rekognition().describe_project_versions(ProjectArn=project_arn)["ProjectVersionDescriptions"]


# -- poll schedules, read from the definition -------------------------------------------------


@dataclass(frozen=True)
class Loop:
    """One wait loop: its states and its schedule (first interval, step, cap, maximum polls)."""

    name: str
    describe: str
    check: str
    first: int
    step: int
    cap: int
    max_polls: int

    def intervals(self, polls: int) -> list[int]:
        return [min(self.first + i * self.step, self.cap) for i in range(polls)]

    def polls_until(self, duration: timedelta) -> int:
        """Polls made until the first one that sees a step of `duration` (started at the loop's start) done."""
        elapsed, polls = 0, 0
        while elapsed < duration.total_seconds():
            elapsed += self.intervals(polls + 1)[-1]
            polls += 1
        return polls

    def path(self, polls: int) -> list[str]:
        steps = []
        for number, interval in enumerate(self.intervals(polls), start=1):
            steps += [f"WaitFor{self.name}", self.describe, self.check]
            if number < polls:
                steps.append(f"Next{self.name}PollAtCap" if interval >= self.cap else f"Next{self.name}Poll")
        return steps


def _loop(name: str, describe: str, check: str, first_from: str) -> Loop:
    rules = STATES[check]["Choices"]
    max_polls = next(r["NumericGreaterThanEquals"] for r in rules if r.get("Variable", "").endswith(".count"))
    cap = next(r["NumericGreaterThanEquals"] for r in rules if r.get("Variable", "").endswith(".interval"))
    step = int(re.search(r", (\d+)\)$", STATES[f"Next{name}Poll"]["Parameters"]["interval.$"]).group(1))
    selector = STATES[first_from]["ResultSelector"]
    first = (selector.get("poll") or selector)["interval"]
    return Loop(name, describe, check, first, step, cap, max_polls)


DATASET = _loop("Dataset", "DescribeDataset", "CheckDatasetStatus", "CreateTrainingDataset")
TEST_DATASET = _loop("TestDataset", "DescribeTestDataset", "CheckTestDatasetStatus", "CreateEmptyTestDataset")
SPLIT = _loop("Split", "DescribeSplit", "CheckSplitStatus", "SplitTrainingDataset")
TRAINING = _loop("Training", "DescribeTraining", "CheckTrainingStatus", "TrainModel")
START = _loop("ModelStart", "DescribeStartingModel", "CheckStartStatus", "StartModel")
STOP = _loop("ModelStop", "DescribeStoppingModel", "CheckStopStatus", "StopModel")


def dataset_polls(sb: Sandbox) -> int:
    return DATASET.polls_until(sb.fakes.custom_labels.dataset_duration)


TEST_DATASET_POLLS = 1
"""Created right after the training dataset, the test dataset is complete when the training dataset is."""


def split_polls(sb: Sandbox) -> int:
    return SPLIT.polls_until(sb.fakes.custom_labels.distribute_duration)


def training_polls(sb: Sandbox) -> int:
    return TRAINING.polls_until(sb.fakes.custom_labels.training_duration)


def start_polls(sb: Sandbox) -> int:
    return START.polls_until(sb.fakes.custom_labels.start_duration)


def stop_polls(sb: Sandbox) -> int:
    return STOP.polls_until(sb.fakes.custom_labels.stop_duration)


CHECKED = ["ValidateInput", "CheckBucketPermissions"]
MANIFEST_CHOSEN = ["ChooseTrainingData"]
IMAGES_CHECKED = ["ValidateInput", "ValidateImagesInput", "CheckBucketPermissions"]
IMAGES_CHOSEN = ["ChooseTrainingData", "BuildTrainingManifest"]
FAILED_TAIL = ["NotifyFailure", "RouteFailure"]


AUTO_TEST = ["ChooseTestDataset", "CreateEmptyTestDataset"]
MANIFEST_TEST = ["ChooseTestDataset", "CreateTestDataset"]


def until_datasets(sb: Sandbox, *, create: list[str] | None = None, test: list[str] | None = None,
                   datasets: int | None = None, images: bool = False) -> list[str]:
    """Up to the training dataset's loop, inclusive."""
    checked = [*IMAGES_CHECKED, *IMAGES_CHOSEN] if images else [*CHECKED, *MANIFEST_CHOSEN]
    return [*checked, *(create or ["CreateProject", "CreateTrainingDataset"]), *(test or AUTO_TEST),
            *DATASET.path(dataset_polls(sb) if datasets is None else datasets)]


def until_trained(sb: Sandbox, *, split: bool = True, **kwargs: Any) -> list[str]:
    splitting = ["SplitTrainingDataset", *SPLIT.path(split_polls(sb))] if split else []
    return [*until_datasets(sb, **kwargs), *TEST_DATASET.path(TEST_DATASET_POLLS), "CheckTestDatasetEntries",
            *splitting, "TrainModel", *TRAINING.path(training_polls(sb)), "CheckF1Score"]


def until_running(sb: Sandbox, **kwargs: Any) -> list[str]:
    return [*until_trained(sb, **kwargs), "StartModel", *START.path(start_polls(sb)), "DescribeRunningModel",
            "NotifyModelRunning", "CheckAutoStop"]


def happy_path(sb: Sandbox, **kwargs: Any) -> list[str]:
    return [*until_running(sb, **kwargs), "ModelRunning"]


def auto_stop_path(sb: Sandbox) -> list[str]:
    return [*until_running(sb), "WaitBeforeAutoStop", "StopModel", *STOP.path(stop_polls(sb)), "DescribeStoppedModel",
            "NotifyModelStopped", "ModelStopped"]


def failure_path(before: list[str], record: str, fail: str) -> list[str]:
    return [*before, record, *FAILED_TAIL, fail]


def notified(sb: Sandbox) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(subject, message, {attribute: value}) of every requester notification."""
    return [(n["subject"], json.loads(n["message"]), {k: v["Value"] for k, v in n["attributes"].items()})
            for n in sb.notifications(TOPIC)]


def assert_failure_notified(sb: Sandbox, run: Run) -> None:
    assert notified(sb) == [("Custom Labels training failed", {"error": run.error, "cause": run.cause},
                             {"outcome": "FAILED", "error": run.error, "execution": run.execution_arn})]


def task_attempts(run: Run, state: str) -> list[int]:
    """TaskScheduled events per visit of `state` (1 = no retry)."""
    counts: list[int] = []
    current = None
    for item in run.history:
        entered = item.get("stateEnteredEventDetails")
        if entered:
            current = entered["name"]
            if current == state:
                counts.append(0)
        elif item["type"] in ("TaskScheduled", "LambdaFunctionScheduled") and current == state:
            counts[-1] += 1
    return counts


def expected_output(sb: Sandbox, run: Run, sample: str, *, outcome: str = "MODEL_RUNNING",
                    reused: bool = False) -> dict[str, Any]:
    """The whole execution output of a run of `sample` that trained the project's only model version."""
    body = event(sample)
    (project,) = projects(body["projectName"])
    (version,) = versions(project["ProjectArn"])
    return {
        "outcome": outcome,
        "projectArn": project["ProjectArn"],
        "projectReused": reused,
        "projectVersionArn": version["ProjectVersionArn"],
        "versionName": run.execution_arn.split(":")[-1],  # default: the execution name
        "f1Score": sb.fakes.custom_labels.f1_score,
        "minInferenceUnits": body["minInferenceUnits"],
        "autoStopAfterHours": body.get("autoStopAfterHours"),
    }


def transitions_of(run: Run) -> int:
    """State transitions as Step Functions bills them: one per state entered."""
    return sum(1 for e in run.history if e["type"].endswith("StateEntered"))


# -- cases --------------------------------------------------------------------------------------

RUNS: dict[str, Run] = {}
"""Every run a test made, by case name: the coverage test replays only the missing ones."""


def _sample(name: str) -> Callable[[Sandbox], Run]:
    return lambda sb: sb.run(SLUG, event(name))


def _with(name: str, setup: Callable[[Sandbox], Any], sample: str = "happy") -> Callable[[Sandbox], Run]:
    def case(sb: Sandbox) -> Run:
        setup(sb)
        return sb.run(SLUG, event(sample))

    return case


def _project_exists(sb: Sandbox) -> Run:
    """objects.json seeds the sample's project (`fake:custom_labels`): the sample runs alone."""
    assert projects(event("project-exists")["projectName"]), "objects.json no longer seeds the project"
    return sb.run(SLUG, event("project-exists"))


def _quiet(sb: Sandbox) -> None:
    """StatusMessage is optional in the API (DatasetDescription, DatasetMetadata, ProjectVersionDescription)."""
    sb.fakes.custom_labels.status_messages = False


def _quiet_failure(step: str, message: str, setup: Callable[[Sandbox], Run] | None = None) -> Callable[[Sandbox], Run]:
    def case(sb: Sandbox) -> Run:
        _quiet(sb)
        sb.fakes.custom_labels.fail(step, message)
        return setup(sb) if setup else sb.run(SLUG, event("happy"))

    return case


def _rerun(sb: Sandbox, sample: str = "happy") -> Run:
    assert sb.run(SLUG, event(sample)).succeeded
    return sb.run(SLUG, event(sample))


def _existing_datasets(test_setup: Callable[[Sandbox], Any]) -> Callable[[Sandbox], Run]:
    """The project exists with its training dataset (being created) and an empty test dataset, created after
    `test_setup` ran: the run reuses both."""
    def case(sb: Sandbox) -> Run:
        body = event("happy")
        arn = rekognition().create_project(ProjectName=body["projectName"])["ProjectArn"]
        manifest = {"Bucket": sb.bucket_name(BUCKET), "Name": body["trainingManifest"]["key"]}
        rekognition().create_dataset(ProjectArn=arn, DatasetType="TRAIN",
                                     DatasetSource={"GroundTruthManifest": {"S3Object": manifest}})
        test_setup(sb)
        rekognition().create_dataset(ProjectArn=arn, DatasetType="TEST")
        return sb.run(SLUG, body)

    return case


def _single_label(sb: Sandbox) -> Run:
    """Three images, all in one folder: one label."""
    for n in range(3):
        sb.put_object(BUCKET, f"{SINGLE_LABEL_PREFIX}cat/cat-{n}.jpg", "image", content_type="image/jpeg")
    return sb.run(SLUG, {**event("images"), "images": {"bucket": sb.bucket_name(BUCKET),
                                                        "prefix": SINGLE_LABEL_PREFIX}})


def _fault(state: str, error: str, cause: str, sample: str = "happy", times: int = 1,
           before: Callable[[Sandbox], Any] | None = None) -> Callable[[Sandbox], Run]:
    def case(sb: Sandbox) -> Run:
        sb.faults.fail(state, error, cause, times=times)
        if before is not None:
            return before(sb)
        return sb.run(SLUG, event(sample))

    return case


def _slow(step: str) -> Callable[[Sandbox], Any]:
    def setup(sb: Sandbox) -> None:
        setattr(sb.fakes.custom_labels, f"{step}_duration", timedelta(days=30))

    return setup


SINGLE_LABEL_PREFIX = "datasets/single/"
DATASET_FAILURE = "The manifest file contains too many invalid data lines."
SPLIT_FAILURE = "The manifest file doesn't have enough labeled images to distribute the dataset."
TRAINING_FAILURE = "The training failed: not enough labelled images for label 'dog'."
START_FAILURE = "The model could not be started: insufficient capacity."
DENIED = ("Rekognition.AccessDeniedException", "User is not authorized to perform this action")

SERVICE_FAILURES = {
    # case: (Task state, sample, setup before the run)
    "check-fails": ("CheckBucketPermissions", ("Lambda.ResourceNotFoundException", "Function not found"), None),
    "build-manifest-fails": ("BuildTrainingManifest", ("Lambda.ResourceNotFoundException", "Function not found"),
                             _sample("images")),
    "create-project-fails": ("CreateProject", DENIED, None),
    "find-project-fails": ("FindExistingProject", DENIED, _project_exists),
    "create-dataset-fails": ("CreateTrainingDataset", DENIED, None),
    "find-dataset-fails": ("FindExistingDataset", DENIED, _rerun),
    "create-test-dataset-fails": ("CreateTestDataset", DENIED, _sample("with-test-manifest")),
    "create-empty-test-dataset-fails": ("CreateEmptyTestDataset", DENIED, None),
    "find-test-dataset-fails": ("FindExistingTestDataset", DENIED, _rerun),
    "describe-dataset-fails": ("DescribeDataset", DENIED, None),
    "describe-test-dataset-fails": ("DescribeTestDataset", DENIED, None),
    "split-fails": ("SplitTrainingDataset", ("Rekognition.ResourceNotReadyException", "The resource is not ready"),
                    None),
    "describe-split-fails": ("DescribeSplit", DENIED, None),
    "train-fails": ("TrainModel", ("Rekognition.LimitExceededException", "Too many models in training"), None),
    "describe-training-fails": ("DescribeTraining", DENIED, None),
    "start-fails": ("StartModel", ("Rekognition.ResourceInUseException", "The model is in use"), None),
    "describe-start-fails": ("DescribeStartingModel", DENIED, None),
    "stop-fails": ("StopModel", DENIED, None),
    "describe-stop-fails": ("DescribeStoppingModel", DENIED, None),
}

CASES: dict[str, Callable[[Sandbox], Run]] = {
    "happy": _sample("happy"),
    "with-test-manifest": _sample("with-test-manifest"),
    "project-exists": _project_exists,
    "rerun": _rerun,
    "rerun-with-test-manifest": lambda sb: _rerun(sb, "with-test-manifest"),
    "auto-stop": _sample("auto-stop"),
    "bucket-permission-missing": _sample("bucket-permission-missing"),
    "no-bucket-policy": _with("happy", lambda sb: s3().delete_bucket_policy(Bucket=sb.bucket_name(BUCKET))),
    "missing-field": _sample("missing-field"),
    "wrong-type": _sample("wrong-type"),
    "not-an-object": _sample("not-an-object"),
    "out-of-range": _sample("out-of-range"),
    "images": _sample("images"),
    "images-and-manifest": lambda sb: sb.run(SLUG, happy_with(images=event("images")["images"])),
    "neither-images-nor-manifest": lambda sb: sb.run(SLUG, {k: v for k, v in event("happy").items()
                                                            if k != "trainingManifest"}),
    "images-wrong-type": lambda sb: sb.run(SLUG, {**event("images"), "images": {"bucket": "b", "prefix": 5}}),
    "manifest-wrong-type": lambda sb: sb.run(SLUG, happy_with(trainingManifest={
        "bucket": sb.bucket_name(BUCKET), "key": 5})),
    "no-images": lambda sb: sb.run(SLUG, {**event("images"), "images": {
        "bucket": sb.bucket_name(BUCKET), "prefix": "datasets/absent/"}}),
    "single-label": lambda sb: _single_label(sb),
    "manifest-missing": lambda sb: sb.run(SLUG, happy_with(trainingManifest={
        "bucket": sb.bucket_name(BUCKET), "key": "datasets/absent/train.manifest"})),
    "dataset-failed": _with("happy", lambda sb: sb.fakes.custom_labels.fail("dataset", DATASET_FAILURE)),
    "test-dataset-failed": _existing_datasets(lambda sb: sb.fakes.custom_labels.fail("dataset", DATASET_FAILURE)),
    "split-failed": _with("happy", lambda sb: sb.fakes.custom_labels.fail("distribute", SPLIT_FAILURE)),
    "training-failed": _with("happy", lambda sb: sb.fakes.custom_labels.fail("training", TRAINING_FAILURE)),
    "start-failed": _with("happy", lambda sb: sb.fakes.custom_labels.fail("start", START_FAILURE)),
    "f1-below-threshold": _sample("f1-below-threshold"),
    "dataset-poll-limit": _with("happy", _slow("dataset")),
    "test-dataset-poll-limit": _existing_datasets(_slow("dataset")),
    "split-poll-limit": _with("happy", _slow("distribute")),
    "training-poll-limit": _with("happy", _slow("training")),
    "start-poll-limit": _with("happy", _slow("start")),
    "stop-poll-limit": _with("auto-stop", _slow("stop"), sample="auto-stop"),
    "no-status-message": _with("happy", _quiet),
    "describe-throttled": _fault("DescribeTraining", "Rekognition.ThrottlingException", "Rate exceeded", times=2),
    "every-retrier-once": lambda sb: (
        sb.faults.fail("CheckBucketPermissions", "Lambda.TooManyRequestsException", "Rate exceeded", times=1),
        sb.faults.fail("CreateProject", "Rekognition.ProvisionedThroughputExceededException", "Slow down", times=1),
        sb.faults.fail("DescribeDataset", "Rekognition.InternalServerErrorException", "Internal error", times=1),
        sb.faults.fail("NotifyModelRunning", "SNS.ThrottledException", "Rate exceeded", times=1),
        sb.run(SLUG, event("happy")))[-1],
    "running-notification-lost": _fault("NotifyModelRunning", "SNS.AuthorizationErrorException", "Not authorized",
                                        sample="auto-stop"),
    "stopped-notification-lost": _fault("NotifyModelStopped", "SNS.AuthorizationErrorException", "Not authorized",
                                        sample="auto-stop"),
    "failure-notification-lost": _fault("NotifyFailure", "SNS.AuthorizationErrorException", "Not authorized",
                                        sample="f1-below-threshold"),
    **{name: _fault(state, error, cause, sample="auto-stop", before=before)
       for name, (state, (error, cause), before) in SERVICE_FAILURES.items()},
}


QUIET_FAILURES = {
    # case: (step of the fake that fails, loop reached) -- the same failures with no StatusMessage at all
    "dataset-failed-quietly": ("dataset", "dataset"),
    "test-dataset-failed-quietly": ("dataset", "test dataset"),
    "split-failed-quietly": ("distribute", "split"),
    "training-failed-quietly": ("training", "training"),
    "start-failed-quietly": ("start", "start"),
}
CASES.update({
    "dataset-failed-quietly": _quiet_failure("dataset", DATASET_FAILURE),
    "test-dataset-failed-quietly": _existing_datasets(
        lambda sb: (_quiet(sb), sb.fakes.custom_labels.fail("dataset", DATASET_FAILURE))),
    "split-failed-quietly": _quiet_failure("distribute", SPLIT_FAILURE),
    "training-failed-quietly": _quiet_failure("training", TRAINING_FAILURE),
    "start-failed-quietly": _quiet_failure("start", START_FAILURE),
})


def run_case(sb: Sandbox, name: str) -> Run:
    sb.faults.clear()
    run = CASES[name](sb)
    RUNS[name] = run
    return run


# -- successes ------------------------------------------------------------------------------------


def test_happy_path_trains_evaluates_starts_and_notifies(training):
    run = run_case(training, "happy")
    body = event("happy")
    assert (run.status, run.path) == ("SUCCEEDED", happy_path(training))
    (project,) = projects(body["projectName"])
    (version,) = versions(project["ProjectArn"])
    assert version["Status"] == "RUNNING" and version["MinInferenceUnits"] == body["minInferenceUnits"]
    assert run.output == {
        "outcome": "MODEL_RUNNING",
        "projectArn": project["ProjectArn"],
        "projectReused": False,
        "projectVersionArn": version["ProjectVersionArn"],
        "versionName": run.execution_arn.split(":")[-1],  # default: the execution name
        "f1Score": training.fakes.custom_labels.f1_score,
        "minInferenceUnits": body["minInferenceUnits"],
        "autoStopAfterHours": None,
    }
    assert notified(training) == [("Custom Labels model running", run.output,
                                   {"outcome": "MODEL_RUNNING", "execution": run.execution_arn})]
    # No test manifest: an empty test dataset got about 20% of the training entries (one cat, one dog of six),
    # and training used the project's two datasets (no TrainingData/TestingData), and wrote its results.
    datasets = {d["DatasetType"]: d for d in project["Datasets"]}
    assert {kind: d["Status"] for kind, d in datasets.items()} == {"TRAIN": "UPDATE_COMPLETE",
                                                                   "TEST": "UPDATE_COMPLETE"}
    assert [rekognition().describe_dataset(DatasetArn=datasets[kind]["DatasetArn"])["DatasetDescription"][
        "DatasetStats"]["TotalEntries"] for kind in ("TRAIN", "TEST")] == [4, 2]
    (scheduled,) = [e["taskScheduledEventDetails"] for e in run.events_of("TaskScheduled")
                    if e["taskScheduledEventDetails"]["resource"] == "createProjectVersion"]
    assert set(json.loads(scheduled["parameters"])) == {"ProjectArn", "VersionName", "OutputConfig"}
    assert version["OutputConfig"] == {"S3Bucket": body["output"]["bucket"], "S3KeyPrefix": body["output"]["prefix"]}
    listed = s3().list_objects_v2(Bucket=training.bucket_name(BUCKET), Prefix=body["output"]["prefix"])
    assert [o["Key"].startswith(body["output"]["prefix"] + "EvaluationResultSummary") for o in listed["Contents"]] == [
        True]


def manifest_lines(bucket: str, key: str) -> list[dict[str, Any]]:
    body = s3().get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def test_images_become_a_manifest_labelled_by_folder_and_train_like_a_manifest(training):
    run = run_case(training, "images")
    body = event("images")
    bucket = training.bucket_name(BUCKET)
    assert (run.status, run.path) == ("SUCCEEDED", happy_path(training, images=True))
    assert run.output == expected_output(training, run, "images")
    (scheduled,) = [json.loads(e["taskScheduledEventDetails"]["parameters"]) for e in run.events_of("TaskScheduled")
                    if e["taskScheduledEventDetails"]["resource"] == "createDataset"
                    and "DatasetSource" in json.loads(e["taskScheduledEventDetails"]["parameters"])]
    manifest = scheduled["DatasetSource"]["GroundTruthManifest"]["S3Object"]
    assert manifest["Bucket"] == bucket
    assert re.fullmatch(rf"{body['output']['prefix']}manifests/{body['projectName']}-[0-9a-f]{{16}}\.manifest",
                        manifest["Name"])
    # Six images in cat/ and dog/ (any case of .jpg/.jpeg/.png); README.txt and the image without a folder left out.
    prefix = body["images"]["prefix"]
    lines = manifest_lines(bucket, manifest["Name"])
    assert [(line["source-ref"], line["folder-label"], line["folder-label-metadata"]["class-name"])
            for line in lines] == [
        (f"s3://{bucket}/{prefix}cat/cat-001.jpg", 0, "cat"), (f"s3://{bucket}/{prefix}cat/cat-002.JPEG", 0, "cat"),
        (f"s3://{bucket}/{prefix}cat/cat-003.png", 0, "cat"), (f"s3://{bucket}/{prefix}dog/dog-001.jpg", 1, "dog"),
        (f"s3://{bucket}/{prefix}dog/dog-002.jpg", 1, "dog"), (f"s3://{bucket}/{prefix}dog/dog-003.PNG", 1, "dog")]
    assert all(line["folder-label-metadata"]["type"] == "groundtruth/image-classification" for line in lines)
    (project,) = projects(body["projectName"])
    datasets = {d["DatasetType"]: d["DatasetArn"] for d in project["Datasets"]}
    assert [rekognition().describe_dataset(DatasetArn=datasets[kind])["DatasetDescription"]["DatasetStats"][
        "TotalEntries"] for kind in ("TRAIN", "TEST")] == [4, 2]
    assert notified(training) == [("Custom Labels model running", run.output,
                                   {"outcome": "MODEL_RUNNING", "execution": run.execution_arn})]
    # A re-run writes the same manifest again (no second one), and reuses the project.
    again = training.run(SLUG, body)
    assert again.succeeded and again.output["projectReused"] is True
    listed = s3().list_objects_v2(Bucket=bucket, Prefix=f"{body['output']['prefix']}manifests/")
    assert [o["Key"] for o in listed["Contents"]] == [manifest["Name"]]


@pytest.mark.parametrize("case", ["images-and-manifest", "neither-images-nor-manifest", "images-wrong-type",
                                  "manifest-wrong-type"])
def test_exactly_one_training_source_of_the_right_type(training, case):
    run = run_case(training, case)
    checks = ["ValidateInput", "ValidateImagesInput"] if case == "images-wrong-type" else ["ValidateInput"]
    assert (run.status, run.path) == ("FAILED", [*checks, "RecordInvalidInput", *FAILED_TAIL, "InvalidInput"])
    assert (run.error, run.cause) == ("CustomLabelsTraining.InvalidInput", INVALID_INPUT_CAUSE)
    assert "exactly one of trainingManifest (bucket and key) or images (bucket and prefix)" in run.cause
    assert training.lambdas.functions["CheckBucketPermissionsFunction"].invocations == 0
    assert new_projects() == []
    assert_failure_notified(training, run)


@pytest.mark.parametrize(("case", "record", "fail"), [("no-images", "RecordNoTrainingImages", "NoTrainingImages"),
                                                     ("single-label", "RecordTooFewLabels", "TooFewLabels")])
def test_images_that_cannot_train_a_classifier_are_named_and_nothing_is_created(training, case, record, fail):
    run = run_case(training, case)
    assert (run.status, run.path) == ("FAILED", [*IMAGES_CHECKED, *IMAGES_CHOSEN, record, "ReadCheckerMessage",
                                                 *FAILED_TAIL, fail])
    assert run.error == fail_error(fail) == f"CustomLabelsTraining.{fail}"
    bucket = training.bucket_name(BUCKET)
    if case == "no-images":
        assert run.cause == (f"No .jpg, .jpeg or .png image in a folder under s3://{bucket}/datasets/absent/ "
                             "(0 directly under the prefix, without a folder to name their label).")
    else:
        assert run.cause == (f"The 3 images under s3://{bucket}/{SINGLE_LABEL_PREFIX} have 1 label (cat): a "
                             "classification model needs at least 2, one folder per label.")
    assert new_projects() == []
    listed = s3().list_objects_v2(Bucket=bucket, Prefix=event("images")["output"]["prefix"])
    assert listed["KeyCount"] == 0
    assert_failure_notified(training, run)


def test_waits_follow_the_growing_schedule_on_virtual_time(training):
    run = run_case(training, "happy")
    waits = [e for e in run.history if e["type"] == "WaitStateEntered"]
    exits = [e for e in run.history if e["type"] == "WaitStateExited"]
    seconds = [int((out["timestamp"] - into["timestamp"]).total_seconds()) for into, out in zip(waits, exits,
                                                                                                 strict=True)]
    assert seconds == [*DATASET.intervals(dataset_polls(training)), *TEST_DATASET.intervals(TEST_DATASET_POLLS),
                       *SPLIT.intervals(split_polls(training)), *TRAINING.intervals(training_polls(training)),
                       *START.intervals(start_polls(training))]
    assert seconds == [30, 60, 90, 120, 30, 30, 60, 90, 600, 1200, 1800, 1800, 60, 120, 180, 240]
    assert run.stop_date - run.start_date == timedelta(seconds=sum(seconds))


def test_test_manifest_becomes_the_test_dataset(training):
    run = run_case(training, "with-test-manifest")
    assert (run.status, run.path) == ("SUCCEEDED", happy_path(training, test=MANIFEST_TEST, split=False))
    manifest = event("with-test-manifest")["testManifest"]
    (project,) = projects(event("with-test-manifest")["projectName"])
    test_arn = next(d["DatasetArn"] for d in project["Datasets"] if d["DatasetType"] == "TEST")
    described = rekognition().describe_dataset(DatasetArn=test_arn)["DatasetDescription"]
    assert (described["Status"], described["DatasetStats"]["TotalEntries"]) == ("CREATE_COMPLETE", 2)
    (version,) = versions(run.output["projectArn"])
    assert version["TestingDataResult"]["Input"]["Assets"] == [
        {"GroundTruthManifest": {"S3Object": {"Bucket": manifest["bucket"], "Name": manifest["key"]}}}]


def test_existing_project_is_reused(training):
    run = run_case(training, "project-exists")
    assert (run.status, run.path) == ("SUCCEEDED", happy_path(
        training, create=["CreateProject", "FindExistingProject", "CreateTrainingDataset"]))
    assert run.output == expected_output(training, run, "project-exists", reused=True)
    (caught,) = run.events_of("TaskFailed")
    assert caught["taskFailedEventDetails"]["error"] == "Rekognition.ResourceInUseException"
    assert [n[1]["outcome"] for n in notified(training)] == ["MODEL_RUNNING"]


def test_project_exists_sample_hits_the_seeded_project_when_run_alone(capsys, monkeypatch):
    """`sandbox run` with the sample alone (objects.json beside it seeds the project): the project is reused."""
    from sandbox import cli

    monkeypatch.chdir(ROOT)
    argv = ["run", SLUG, "--event", str(EVENTS / "project-exists.json"), "--output", "json"]
    assert cli.main(argv) == cli.EXIT_OK
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["output"]["projectReused"]) == ("SUCCEEDED", True)
    assert "FindExistingProject" in result["path"]
    assert result["output"]["projectArn"].split("/")[1] == event("project-exists")["projectName"] != (
        event("happy")["projectName"])


def test_custom_labels_seed_format():
    """`fake:custom_labels` in objects.json: {"projects": [...]}, and nothing else."""
    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        sb.fakes.custom_labels.seed({"projects": ["sfn-suite-a", "sfn-suite-a"]})
        (project,) = projects("sfn-suite-a")
        assert (project["Status"], project["Datasets"]) == ("CREATED", [])
        with pytest.raises(ValueError, match="unknown keys"):
            sb.fakes.custom_labels.seed({"datasets": []})


def test_rerun_reuses_project_and_dataset_and_trains_a_new_version(training):
    run = run_case(training, "rerun")
    assert run.status == "SUCCEEDED"
    reused = ["CreateProject", "FindExistingProject", "CreateTrainingDataset", "FindExistingDataset"]
    # Both datasets are complete at the first poll, and the test dataset, split by the first run, is not split again.
    assert run.path == happy_path(training, create=reused, test=[*AUTO_TEST, "FindExistingTestDataset"], datasets=1,
                                  split=False)
    assert run.output["projectReused"] is True
    (project,) = projects(event("happy")["projectName"])
    assert len(project["Datasets"]) == 2 and len(versions(project["ProjectArn"])) == 2
    assert [n[1]["outcome"] for n in notified(training)] == ["MODEL_RUNNING", "MODEL_RUNNING"]


def test_rerun_with_test_manifest_reuses_the_test_dataset(training):
    run = run_case(training, "rerun-with-test-manifest")
    reused = ["CreateProject", "FindExistingProject", "CreateTrainingDataset", "FindExistingDataset"]
    assert run.path == happy_path(training, create=reused, test=[*MANIFEST_TEST, "FindExistingTestDataset"],
                                  datasets=1, split=False)
    (project,) = projects(event("with-test-manifest")["projectName"])
    assert sorted(d["DatasetType"] for d in project["Datasets"]) == ["TEST", "TRAIN"]
    assert [e["taskFailedEventDetails"]["error"] for e in run.events_of("TaskFailed")] == [
        "Rekognition.ResourceInUseException", "Rekognition.ResourceAlreadyExistsException",
        "Rekognition.ResourceAlreadyExistsException"]


def test_auto_stop_stops_the_model_after_the_requested_hours(training):
    run = run_case(training, "auto-stop")
    hours = event("auto-stop")["autoStopAfterHours"]
    assert (run.status, run.path) == ("SUCCEEDED", auto_stop_path(training))
    (version,) = versions(run.output["projectArn"])
    assert version["Status"] == "STOPPED"
    assert run.output == expected_output(training, run, "auto-stop", outcome="MODEL_STOPPED")
    assert run.output["autoStopAfterHours"] == hours
    (entered,) = [e for e in run.history if e.get("stateEnteredEventDetails", {}).get("name") == "WaitBeforeAutoStop"]
    (exited,) = [e for e in run.history if e.get("stateExitedEventDetails", {}).get("name") == "WaitBeforeAutoStop"]
    assert exited["timestamp"] - entered["timestamp"] == timedelta(hours=hours)
    running = {**run.output, "outcome": "MODEL_RUNNING"}
    assert notified(training) == [
        ("Custom Labels model running", running, {"outcome": "MODEL_RUNNING", "execution": run.execution_arn}),
        ("Custom Labels model stopped", run.output, {"outcome": "MODEL_STOPPED", "execution": run.execution_arn})]


def test_missing_status_messages_never_break_a_successful_run(training):
    """StatusMessage is optional in every description the workflow reads: without any, the run is the same."""
    run = run_case(training, "no-status-message")
    assert (run.status, run.path) == ("SUCCEEDED", happy_path(training))
    assert run.output == expected_output(training, run, "happy")
    (project,) = projects(event("happy")["projectName"])
    assert all("StatusMessage" not in d for d in project["Datasets"])
    assert all("StatusMessage" not in v for v in versions(project["ProjectArn"]))


# -- named failures ---------------------------------------------------------------------------------


INVALID_INPUT_CAUSE = STATES["RecordInvalidInput"]["Parameters"]["failure"]["cause"]


@pytest.mark.parametrize("case", ["missing-field", "wrong-type", "not-an-object"])
def test_malformed_input_is_rejected_before_anything_is_called(training, case):
    run = run_case(training, case)
    assert (run.status, run.path) == ("FAILED", ["ValidateInput", "RecordInvalidInput", *FAILED_TAIL, "InvalidInput"])
    assert run.error == fail_error("InvalidInput") == "CustomLabelsTraining.InvalidInput"
    assert run.cause == INVALID_INPUT_CAUSE
    assert run.output is None
    assert [e["taskScheduledEventDetails"]["resource"] for e in run.events_of("TaskScheduled")] == ["publish"]
    assert training.lambdas.functions["CheckBucketPermissionsFunction"].invocations == 0
    assert new_projects() == []
    assert_failure_notified(training, run)


def test_input_that_is_not_an_object_is_invalid_input_not_a_runtime_error(training):
    """Valid JSON but not an object: ValidateInput finds none of the fields and RecordInvalidInput must still
    record the failure (a ResultPath below $ cannot be added to such an input: States.Runtime)."""
    inputs = [0, -1.5, "x", "", [], [event("happy")], None, True, False]
    for body in inputs:
        run = training.run(SLUG, json.dumps(body))
        assert (run.status, run.error, run.cause) == ("FAILED", "CustomLabelsTraining.InvalidInput",
                                                      INVALID_INPUT_CAUSE), body
        assert run.path == ["ValidateInput", "RecordInvalidInput", *FAILED_TAIL, "InvalidInput"], body
    assert training.lambdas.functions["CheckBucketPermissionsFunction"].invocations == 0
    assert new_projects() == []
    assert len(notified(training)) == len(inputs)


def test_invalid_values_are_named_by_the_checker_and_nothing_is_created(training):
    run = run_case(training, "out-of-range")
    assert (run.status, run.path) == ("FAILED", [*CHECKED, "RecordInvalidRequest", "ReadCheckerMessage", *FAILED_TAIL,
                                                 "InvalidTrainingRequest"])
    assert run.error == "CustomLabelsTraining.InvalidTrainingRequest"
    assert run.cause == "minF1Score: Input should be less than or equal to 1"
    assert new_projects() == []
    assert_failure_notified(training, run)


def test_output_prefix_outside_the_bucket_policy_is_a_missing_permission(training):
    run = run_case(training, "bucket-permission-missing")
    bucket = training.bucket_name(BUCKET)
    prefix = event("bucket-permission-missing")["output"]["prefix"]
    assert (run.status, run.path) == ("FAILED", [*CHECKED, "RecordBucketPermissionsMissing", "ReadCheckerMessage",
                                                 *FAILED_TAIL, "BucketPermissionsMissing"])
    assert run.error == "CustomLabelsTraining.BucketPermissionsMissing"
    assert run.cause == (f"The policy of bucket {bucket} does not grant Rekognition Custom Labels "
                         f"(rekognition.amazonaws.com): AWSRekognitionS3PutObject20191011: s3:PutObject on "
                         f"arn:aws:s3:::{bucket}/{prefix}*")
    assert new_projects() == []
    assert_failure_notified(training, run)


def test_bucket_without_policy_lists_every_statement_rekognition_needs(training):
    run = run_case(training, "no-bucket-policy")
    assert run.error == "CustomLabelsTraining.BucketPermissionsMissing"
    sids = [s["Sid"] for s in json.loads(json.dumps(training.stack.resolve(
        training.stack.resources["TrainingBucketPolicy"].properties)["PolicyDocument"]["Statement"]))
        if s["Sid"].startswith("AWSRekognition")]
    assert run.cause.startswith(f"Bucket {training.bucket_name(BUCKET)} has no bucket policy;")
    assert [sid for sid in sids if sid in run.cause] == sids and len(sids) == 4
    assert new_projects() == []
    assert_failure_notified(training, run)


STATUS_FAILURES = [
    # case, loop reached, record state, Fail state, message
    ("dataset-failed", "dataset", "RecordDatasetFailure", "DatasetCreationFailed", DATASET_FAILURE),
    ("test-dataset-failed", "test dataset", "RecordTestDatasetFailure", "DatasetCreationFailed", DATASET_FAILURE),
    ("split-failed", "split", "RecordSplitFailure", "DatasetSplitFailed", SPLIT_FAILURE),
    ("training-failed", "training", "RecordTrainingFailure", "TrainingFailed", TRAINING_FAILURE),
    ("start-failed", "start", "RecordModelStartFailure", "ModelStartFailed", START_FAILURE),
]


@pytest.mark.parametrize(("case", "loop", "record", "fail", "message"), STATUS_FAILURES,
                         ids=[c[0] for c in STATUS_FAILURES])
def test_failed_status_ends_in_its_named_fail_with_the_status_message(training, case, loop, record, fail, message):
    run = run_case(training, case)
    reused = ["CreateProject", "FindExistingProject", "CreateTrainingDataset", "FindExistingDataset"]
    prefix = {"dataset": until_datasets(training),
              "test dataset": [*until_datasets(training, create=reused, test=[*AUTO_TEST, "FindExistingTestDataset"]),
                               *TEST_DATASET.path(TEST_DATASET_POLLS)],
              "split": [*until_datasets(training), *TEST_DATASET.path(TEST_DATASET_POLLS), "CheckTestDatasetEntries",
                        "SplitTrainingDataset", *SPLIT.path(split_polls(training))],
              "training": until_trained(training)[:-1],
              "start": [*until_trained(training), "StartModel", *START.path(start_polls(training))]}[loop]
    assert (run.status, run.path) == ("FAILED", failure_path(prefix, record, fail))
    assert run.error == fail_error(fail)
    assert run.cause.endswith(f"FAILED: {message}" if loop != "split" else f"UPDATE_FAILED ({message})")
    assert_failure_notified(training, run)


@pytest.mark.parametrize("case", list(QUIET_FAILURES))
def test_failed_status_without_status_message_is_still_named_and_notified(training, case):
    """A failure without StatusMessage still reaches its Record state, its Fail state and the requester
    (reading the absent field with JSONPath would be States.Runtime: no Catch, no notification)."""
    _, loop = QUIET_FAILURES[case]
    run = run_case(training, case)
    record, fail, _ = {"dataset": ("RecordDatasetFailure", "DatasetCreationFailed", None),
                       "test dataset": ("RecordTestDatasetFailure", "DatasetCreationFailed", None),
                       "split": ("RecordSplitFailure", "DatasetSplitFailed", None),
                       "training": ("RecordTrainingFailure", "TrainingFailed", None),
                       "start": ("RecordModelStartFailure", "ModelStartFailed", None)}[loop]
    assert (run.status, run.error) == ("FAILED", fail_error(fail))
    assert run.path[-4:] == [record, *FAILED_TAIL, fail]
    assert "States.Runtime" not in json.dumps([e.get("executionFailedEventDetails") for e in run.history])
    if loop == "split":
        assert run.cause.endswith("training dataset UPDATE_FAILED (no StatusMessage), "
                                  "test dataset UPDATE_FAILED (no StatusMessage)")
    else:
        assert run.cause.endswith("FAILED: no StatusMessage")
    assert_failure_notified(training, run)


def test_f1_below_threshold_is_a_named_outcome_and_the_model_is_not_started(training):
    run = run_case(training, "f1-below-threshold")
    assert (run.status, run.path) == ("FAILED", failure_path(until_trained(training), "RecordF1BelowThreshold",
                                                             "F1BelowThreshold"))
    (project,) = projects(event("f1-below-threshold")["projectName"])
    (version,) = versions(project["ProjectArn"])
    assert version["Status"] == "TRAINING_COMPLETED"
    assert run.error == "CustomLabelsTraining.F1BelowThreshold"
    assert run.cause == (f"Model {version['ProjectVersionArn']} has F1 score {training.fakes.custom_labels.f1_score}, "
                         f"below the minimum {event('f1-below-threshold')['minF1Score']}: it was not started.")
    assert_failure_notified(training, run)


POLL_LIMITS = [
    ("dataset-poll-limit", DATASET, "RecordDatasetPollLimit", "DatasetPollLimitExceeded", "CREATE_IN_PROGRESS"),
    ("test-dataset-poll-limit", TEST_DATASET, "RecordTestDatasetPollLimit", "DatasetPollLimitExceeded",
     "CREATE_IN_PROGRESS"),
    ("split-poll-limit", SPLIT, "RecordSplitPollLimit", "DatasetSplitPollLimitExceeded",
     "UPDATE_IN_PROGRESS and UPDATE_IN_PROGRESS"),
    ("training-poll-limit", TRAINING, "RecordTrainingPollLimit", "TrainingPollLimitExceeded",
     "TRAINING_IN_PROGRESS"),
    ("start-poll-limit", START, "RecordModelStartPollLimit", "ModelStartPollLimitExceeded", "STARTING"),
    ("stop-poll-limit", STOP, "RecordModelStopPollLimit", "ModelStopPollLimitExceeded", "STOPPING"),
]


@pytest.mark.parametrize(("case", "loop", "record", "fail", "status"), POLL_LIMITS, ids=[c[0] for c in POLL_LIMITS])
def test_every_wait_loop_is_bounded_by_its_poll_count(training, case, loop, record, fail, status):
    run = run_case(training, case)
    assert run.status == "FAILED" and run.error == fail_error(fail)
    start = run.path.index(f"WaitFor{loop.name}")
    assert run.path[start:] == [*loop.path(loop.max_polls), record, *FAILED_TAIL, fail]
    assert run.path.count(loop.describe) == loop.max_polls
    assert f"is still {status} after {loop.max_polls} polls (limit {loop.max_polls})" in run.cause
    assert loop.cap in loop.intervals(loop.max_polls)  # the interval reached its cap before the limit
    failures = [n for n in notified(training) if n[2]["outcome"] == "FAILED"]
    assert failures == [("Custom Labels training failed", {"error": run.error, "cause": run.cause},
                         {"outcome": "FAILED", "error": run.error, "execution": run.execution_arn})]
    expected_before = ["MODEL_RUNNING"] if loop is STOP else []  # the stop loop runs after the model ran
    assert [n[2]["outcome"] for n in notified(training)] == [*expected_before, "FAILED"]


def test_training_schedule_bound_in_hours():
    assert sum(TRAINING.intervals(TRAINING.max_polls)) / 3600 == pytest.approx(29.5)
    assert sum(DATASET.intervals(DATASET.max_polls)) / 3600 == pytest.approx(2.125)
    assert TEST_DATASET.intervals(30) == SPLIT.intervals(30) == DATASET.intervals(30)


# -- Retry and Catch -----------------------------------------------------------------------------


def test_throttled_describe_is_retried_and_the_training_goes_on(training):
    run = run_case(training, "describe-throttled")
    assert (run.status, run.path) == ("SUCCEEDED", happy_path(training))
    failed = [e["taskFailedEventDetails"] for e in run.events_of("TaskFailed")]
    assert [(f["resource"], f["error"], f["cause"]) for f in failed] == [
        ("describeProjectVersions", "Rekognition.ThrottlingException", "Rate exceeded")] * 2
    assert task_attempts(run, "DescribeTraining") == [3] + [1] * (training_polls(training) - 1)
    assert run.output == expected_output(training, run, "happy")
    assert [n[1]["outcome"] for n in notified(training)] == ["MODEL_RUNNING"]


def test_each_retrier_absorbs_a_transient_error(training):
    run = run_case(training, "every-retrier-once")
    assert (run.status, run.path) == ("SUCCEEDED", happy_path(training))
    assert task_attempts(run, "CheckBucketPermissions") == [2]
    assert task_attempts(run, "CreateProject") == [2]
    assert task_attempts(run, "DescribeDataset")[0] == 2
    assert task_attempts(run, "NotifyModelRunning") == [2]
    assert len(notified(training)) == 1


def test_missing_manifest_is_a_service_call_failure_with_the_service_error(training):
    run = run_case(training, "manifest-missing")
    assert (run.status, run.path) == ("FAILED", failure_path([*CHECKED, *MANIFEST_CHOSEN, "CreateProject",
                                                              "CreateTrainingDataset"],
                                                             "RecordServiceCallFailure", "ServiceCallFailed"))
    assert run.error == "CustomLabelsTraining.ServiceCallFailed"
    assert run.cause.startswith("Rekognition.InvalidS3ObjectException: ")
    assert_failure_notified(training, run)


@pytest.mark.parametrize("case", list(SERVICE_FAILURES))
def test_non_retryable_error_of_any_task_is_notified_and_named(training, case):
    state, (error, cause), _ = SERVICE_FAILURES[case]
    run = run_case(training, case)
    assert run.status == "FAILED"
    assert run.path[-5:] == [state, "RecordServiceCallFailure", *FAILED_TAIL, "ServiceCallFailed"]
    assert (run.error, run.cause) == ("CustomLabelsTraining.ServiceCallFailed", f"{error}: {cause}")
    assert run.events_of("TaskFailed")[-1]["taskFailedEventDetails"]["error"] == error
    assert [n[2]["error"] for n in notified(training) if n[2]["outcome"] == "FAILED"] == [run.error]


def test_lost_notifications_never_block_the_auto_stop_or_the_named_failure(training):
    run = run_case(training, "running-notification-lost")
    assert (run.status, run.path) == ("SUCCEEDED", auto_stop_path(training))
    assert [n[1]["outcome"] for n in notified(training)] == ["MODEL_STOPPED"]
    RUNS["stopped-notification-lost"] = run_case(training, "stopped-notification-lost")
    assert RUNS["stopped-notification-lost"].status == "SUCCEEDED"
    failed = run_case(training, "failure-notification-lost")
    assert (failed.status, failed.error) == ("FAILED", "CustomLabelsTraining.F1BelowThreshold")
    assert failed.path[-3:] == [*FAILED_TAIL, "F1BelowThreshold"]


# -- cost: transitions --------------------------------------------------------------------------


def fixed(loop: Loop, seconds: int = 30) -> Loop:
    """The same loop polling every `seconds` (no growth); bounded the same way."""
    return Loop(loop.name, loop.describe, loop.check, seconds, 0, seconds, 10**6)


TOTAL, FIXED_TOTAL, RERUN_TOTAL = 79, 1119, 58
"""Measured (docs/custom-labels-training.md, Cost notes): a 2-hour training, the fake's other durations."""


def test_transitions_with_the_growing_schedule_vs_a_fixed_30_second_poll(training):
    """A 2-hour training (the fake's other steps as they are): transitions measured and computed."""
    training.fakes.custom_labels.training_duration = timedelta(hours=2)
    run = training.run(SLUG, event("happy"))
    assert run.succeeded and run.path == happy_path(training)
    duration = training.fakes.custom_labels.training_duration
    assert TRAINING.polls_until(duration) == 5  # at 10, 30, 60, 90 and 120 minutes
    in_loop = {f"WaitFor{TRAINING.name}", TRAINING.describe, TRAINING.check, "NextTrainingPoll",
               "NextTrainingPollAtCap"}
    assert sum(1 for name in run.path if name in in_loop) == len(TRAINING.path(5)) == 19
    assert fixed(TRAINING).polls_until(duration) == 240
    assert len(fixed(TRAINING).path(240)) == 959
    # The whole execution: measured from the history, and the same path with every loop at 30 s (the test
    # dataset loop already polls once, at 30 s).
    assert transitions_of(run) == len(run.path) == TOTAL
    fake = training.fakes.custom_labels
    loops = ((DATASET, fake.dataset_duration), (SPLIT, fake.distribute_duration), (TRAINING, duration),
             (START, fake.start_duration))
    fixed_total = (len(run.path) - sum(len(loop.path(loop.polls_until(d))) for loop, d in loops)
                   + sum(len(fixed(loop).path(fixed(loop).polls_until(d))) for loop, d in loops))
    assert fixed_total == FIXED_TOTAL


def test_rerun_transitions(training):
    """A re-run reuses the project and both datasets (already split): no split, one poll per dataset loop."""
    training.fakes.custom_labels.training_duration = timedelta(hours=2)
    assert training.run(SLUG, event("happy")).succeeded
    run = training.run(SLUG, event("happy"))
    assert run.succeeded and "SplitTrainingDataset" not in run.path
    assert transitions_of(run) == RERUN_TOTAL


# -- coverage ------------------------------------------------------------------------------------


def test_the_cases_cover_every_state_and_every_transition():
    """Replays the cases no other test ran, each in a fresh sandbox (the result does not depend on test order)."""
    graph = parse(DEFINITION)
    for name in CASES:
        if name not in RUNS:
            with fresh() as sb:
                run_case(sb, name)
    report = coverage(graph, [RUNS[name] for name in CASES])
    assert report.uncovered_states == [], report.summary()
    assert report.uncovered_edges == [], report.summary()
    assert report.unresolved == [] and report.undeclared == [], report.summary()
    assert (len(graph.states), len(report.taken), report.state_ratio, report.edge_ratio) == (94, 172, 1.0, 1.0)
