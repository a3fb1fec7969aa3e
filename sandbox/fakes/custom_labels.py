"""Rekognition Custom Labels lifecycle (projects, datasets, model versions), absent from moto.

Training a model takes hours and starting one minutes; workflows poll
DescribeDataset / DescribeProjectVersions in a Wait loop. Statuses here are not
advanced by threads: each is *computed* from the virtual clock and the time its step
began, so a Wait state that skips virtual time sees the step finish, and a test can
`clock.advance(hours=2)`.

Datasets follow the API reference: CreateDataset without DatasetSource makes an empty
dataset; DistributeDatasetEntries moves about 20% of a training dataset's entries into an empty
test dataset of the same project (both go UPDATE_IN_PROGRESS, then UPDATE_COMPLETE); and
CreateProjectVersion takes TrainingData/TestingData only for a project without datasets,
otherwise it trains on the project's datasets (with no test dataset, training splits one off).

Knobs (attributes of the fake): `dataset_duration`, `distribute_duration`,
`training_duration`, `start_duration`, `stop_duration` (timedeltas), `f1_score`; and
`fail("dataset" | "distribute" | "training" | "start", message)` makes the next such step
end in CREATE_FAILED / UPDATE_FAILED / TRAINING_FAILED / FAILED with that StatusMessage;
`status_messages = False` leaves StatusMessage out of every description (DescribeDataset,
DescribeProjects' datasets, DescribeProjectVersions), failed ones included: the API reference marks
it optional (Required: No) in DatasetDescription, DatasetMetadata and ProjectVersionDescription,
and promises it for no status.

Seeding (`seed(spec)`, from the `"fake:custom_labels"` key of a sample folder's objects.json):
`{"projects": ["<name>", ...]}` creates those projects (no datasets, no versions) before a run, as
CreateProject would; a name already there is left as it is.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sandbox.fakes import FakeContext
from sandbox.fakes._api import AwsError, Call, intercept
from sandbox.fakes._s3 import read_object, s3_backend

STEPS = ("dataset", "distribute", "training", "start")
NOT_FOUND = "The resource specified in the request cannot be found."
READY = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
"""Dataset statuses in which a dataset can be distributed or trained on."""
SPLIT_SHARE = 0.2
"""DistributeDatasetEntries, and training's own split, move 20% of the training entries."""
DISTRIBUTE_TOO_FEW = "The manifest file doesn't have enough labeled images to distribute the dataset."
AUTOSPLIT_TOO_FEW = "The manifest file contains insufficient labeled images per label to perform auto-split."

_MESSAGES = {
    "CREATE_IN_PROGRESS": "The dataset is being created.",
    "CREATE_COMPLETE": "The dataset was created successfully.",
    "UPDATE_IN_PROGRESS": "The dataset is being updated.",
    "UPDATE_COMPLETE": "The dataset was updated successfully.",
    "TRAINING_IN_PROGRESS": "The model is being trained.",
    "TRAINING_COMPLETED": "The model is ready to run.",
    "STARTING": "The model is starting.",
    "RUNNING": "The model is running.",
    "STOPPING": "The model is stopping.",
    "STOPPED": "The model is ready to run.",
}


@dataclass
class _Phase:
    """A step that runs for a virtual duration, then ends in `done` or, if forced, `failed`."""

    running: str
    done: str
    failed: str
    started: datetime
    duration: timedelta
    failure: str | None = None

    @property
    def ends(self) -> datetime:
        return self.started + self.duration

    def status(self, now: datetime) -> str:
        if now < self.ends:
            return self.running
        return self.failed if self.failure else self.done

    def message(self, now: datetime) -> str:
        status = self.status(now)
        return self.failure if status == self.failed and self.failure else _MESSAGES.get(status, "")


@dataclass(frozen=True)
class _Entry:
    """One JSON Line of a dataset: its labels, or an error (not valid JSON)."""

    labels: frozenset[str]
    error: bool = False


@dataclass
class _Dataset:
    arn: str
    kind: str
    created: datetime
    phase: _Phase
    manifest: dict[str, Any] | None
    entries: list[_Entry]
    pending: list[_Entry] | None = None
    """The entries once the running update (a distribution) completes; dropped if it fails."""

    def settle(self, now: datetime) -> None:
        if self.pending is not None and self.phase.status(now) != self.phase.running:
            if self.phase.status(now) == self.phase.done:
                self.entries = self.pending
            self.pending = None

    @property
    def stats(self) -> dict[str, int]:
        return entry_stats(self.entries)


@dataclass
class _Version:
    arn: str
    name: str
    created: datetime
    training: _Phase
    output_config: dict[str, Any]
    f1_score: float
    inputs: dict[str, dict[str, Any]]
    """TrainingDataResult / TestingDataResult Input, by dataset type."""
    phase: _Phase | None = None
    """The latest start/stop step after training, if any."""
    inference_units: dict[str, int] = field(default_factory=dict)
    summary_written: bool = False


@dataclass
class _Project:
    name: str
    arn: str
    created: datetime
    feature: str
    datasets: dict[str, _Dataset] = field(default_factory=dict)
    versions: dict[str, _Version] = field(default_factory=dict)


def manifest_entries(text: str) -> list[_Entry]:
    """The entries of a SageMaker Ground Truth manifest (JSON Lines)."""
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            entries.append(_Entry(frozenset(), error=True))
            continue
        labels: set[str] = set()
        metas = [v for k, v in entry.items() if k.endswith("-metadata") and isinstance(v, dict)]
        for meta in metas:
            if meta.get("class-name"):
                labels.add(str(meta["class-name"]))
            labels.update(str(v) for v in (meta.get("class-map") or {}).values())
        entries.append(_Entry(frozenset(labels) if metas else frozenset()))
    return entries


def entry_stats(entries: list[_Entry]) -> dict[str, int]:
    """DatasetStats of a list of entries."""
    labels = {label for e in entries for label in e.labels}
    return {
        "LabeledEntries": sum(1 for e in entries if e.labels),
        "TotalEntries": len(entries),
        "TotalLabels": len(labels),
        "ErrorEntries": sum(1 for e in entries if e.error),
    }


def manifest_stats(text: str) -> dict[str, int]:
    """DatasetStats from a SageMaker Ground Truth manifest (JSON Lines)."""
    return entry_stats(manifest_entries(text))


def split_entries(entries: list[_Entry]) -> tuple[list[_Entry], list[_Entry]] | None:
    """(kept, moved): about 20% of the labeled entries, taken per label set so that the test
    entries represent every label; None when a label set has fewer than 2 entries to split.

    The API reference says only that 20% of the images move; the per-label sampling and the
    two-entry minimum are the sandbox's rule for "not enough labeled images"."""
    groups: dict[frozenset[str], list[int]] = {}
    for index, entry in enumerate(entries):
        if entry.labels:
            groups.setdefault(entry.labels, []).append(index)
    if not groups or any(len(indexes) < 2 for indexes in groups.values()):
        return None
    moved_at = {i for indexes in groups.values() for i in indexes[-max(1, round(len(indexes) * SPLIT_SHARE)):]}
    return ([e for i, e in enumerate(entries) if i not in moved_at],
            [e for i, e in enumerate(entries) if i in moved_at])


class CustomLabelsFake:
    """CreateProject, DescribeProjects, CreateDataset, DescribeDataset, DistributeDatasetEntries,
    CreateProjectVersion, DescribeProjectVersions, StartProjectVersion, StopProjectVersion."""

    def __init__(self) -> None:
        self.dataset_duration = timedelta(minutes=5)
        self.distribute_duration = timedelta(minutes=3)
        self.training_duration = timedelta(hours=1, minutes=30)
        self.start_duration = timedelta(minutes=10)
        self.stop_duration = timedelta(minutes=2)
        self.f1_score = 0.93
        """F1 of models whose training starts from now on."""
        self.status_messages = True
        """False: descriptions carry no StatusMessage (an optional field of the API)."""
        self._failures: dict[str, list[str]] = {step: [] for step in STEPS}
        self._projects: dict[str, _Project] = {}
        self._lock = threading.RLock()
        self._last_stamp = 0
        self._ctx: FakeContext | None = None

    # -- test knobs ----------------------------------------------------------
    def fail(self, step: str, message: str = "sandbox: forced failure") -> None:
        """Make the next `step` ("dataset", "distribute", "training" or "start") end failed with `message`."""
        if step not in STEPS:
            raise ValueError(f"step must be one of {STEPS}, not {step!r}")
        with self._lock:
            self._failures[step].append(message)

    def seed(self, spec: dict[str, Any]) -> None:
        """Create projects before a run: `{"projects": ["<name>", ...]}` (unknown keys are an error)."""
        unknown = set(spec) - {"projects"}
        if unknown:
            raise ValueError(f"custom_labels seed: unknown keys {sorted(unknown)}; expected 'projects'")
        with self._lock:
            for name in spec.get("projects") or []:
                if name not in self._projects:
                    arn = f"arn:aws:rekognition:{self.ctx.region}:{self.ctx.account_id}:project/{name}/{self._stamp()}"
                    self._projects[name] = _Project(name, arn, self._now(), "CUSTOM_LABELS")

    def _with_message(self, description: dict[str, Any], message: str) -> dict[str, Any]:
        """StatusMessage added unless the `status_messages` knob is off."""
        if self.status_messages:
            description["StatusMessage"] = message
        return description

    def _take_failure(self, step: str) -> str | None:
        return self._failures[step].pop(0) if self._failures[step] else None

    # -- wiring --------------------------------------------------------------
    def register(self, events: Any, ctx: FakeContext) -> None:
        self._ctx = ctx
        handlers = {
            "CreateProject": self._create_project,
            "DescribeProjects": self._describe_projects,
            "CreateDataset": self._create_dataset,
            "DescribeDataset": self._describe_dataset,
            "DistributeDatasetEntries": self._distribute_dataset_entries,
            "CreateProjectVersion": self._create_project_version,
            "DescribeProjectVersions": self._describe_project_versions,
            "StartProjectVersion": self._start_project_version,
            "StopProjectVersion": self._stop_project_version,
        }
        for operation, handler in handlers.items():
            intercept(events, "rekognition", operation, self._locked(handler))

    def _locked(self, handler: Any) -> Any:
        def run(call: Call) -> dict[str, Any]:
            with self._lock:
                return handler(call)

        return run

    @property
    def ctx(self) -> FakeContext:
        assert self._ctx is not None, "register() first"
        return self._ctx

    def _now(self) -> datetime:
        return self.ctx.clock.now()

    def _stamp(self) -> int:
        """The trailing number of Rekognition ARNs: creation time in ms, kept unique."""
        self._last_stamp = max(int(self.ctx.clock.time() * 1000), self._last_stamp + 1)
        return self._last_stamp

    def _arn_prefix(self, call: Call) -> str:
        return f"arn:aws:rekognition:{call.region or self.ctx.region}:{self.ctx.account_id}:project"

    def _project(self, arn: str) -> _Project:
        for project in self._projects.values():
            if project.arn == arn:
                return project
        raise AwsError("ResourceNotFoundException", NOT_FOUND)

    def _dataset(self, arn: str) -> tuple[_Project, _Dataset]:
        now = self._now()
        for project in self._projects.values():
            for dataset in project.datasets.values():
                if dataset.arn == arn:
                    dataset.settle(now)
                    return project, dataset
        raise AwsError("ResourceNotFoundException", NOT_FOUND)

    def _version(self, arn: str) -> tuple[_Project, _Version]:
        for project in self._projects.values():
            for version in project.versions.values():
                if version.arn == arn:
                    return project, version
        raise AwsError("ResourceNotFoundException", NOT_FOUND)

    # -- projects ------------------------------------------------------------
    def _create_project(self, call: Call) -> dict[str, Any]:
        name = call.params["ProjectName"]
        if name in self._projects:
            raise AwsError("ResourceInUseException", "The specified resource is already being used.")
        arn = f"{self._arn_prefix(call)}/{name}/{self._stamp()}"
        feature = call.params.get("Feature", "CUSTOM_LABELS")
        self._projects[name] = _Project(name, arn, self._now(), feature)
        return {"ProjectArn": arn}

    def _describe_projects(self, call: Call) -> dict[str, Any]:
        names = call.params.get("ProjectNames")
        features = call.params.get("Features")
        now = self._now()
        projects = [
            p
            for p in self._projects.values()
            if (not names or p.name in names) and (not features or p.feature in features)
        ]
        for project in projects:
            for dataset in project.datasets.values():
                dataset.settle(now)
        return {
            "ProjectDescriptions": [
                {
                    "ProjectArn": p.arn,
                    "CreationTimestamp": p.created,
                    "Status": "CREATED",
                    "Datasets": [
                        self._with_message({
                            "CreationTimestamp": d.created,
                            "DatasetType": d.kind,
                            "DatasetArn": d.arn,
                            "Status": d.phase.status(now),
                            "StatusMessageCode": self._message_code(d.phase, now),
                        }, d.phase.message(now))
                        for d in p.datasets.values()
                    ],
                    "Feature": p.feature,
                }
                for p in sorted(projects, key=lambda p: p.created, reverse=True)
            ]
        }

    # -- datasets ------------------------------------------------------------
    @staticmethod
    def _message_code(phase: _Phase, now: datetime) -> str:
        return "CLIENT_ERROR" if phase.status(now) == phase.failed else "SUCCESS"

    def _create_dataset(self, call: Call) -> dict[str, Any]:
        project = self._project(call.params["ProjectArn"])
        kind = call.params["DatasetType"]
        if kind in project.datasets:
            raise AwsError("ResourceAlreadyExistsException", f"A {kind.lower()} dataset already exists.")
        source = call.params.get("DatasetSource") or {}
        if "GroundTruthManifest" in source and "DatasetArn" in source:
            raise AwsError("InvalidParameterException", "Specify either GroundTruthManifest or DatasetArn.")
        manifest: dict[str, Any] | None = None
        entries: list[_Entry] = []  # no DatasetSource: an empty dataset
        if "GroundTruthManifest" in source:
            manifest = source["GroundTruthManifest"]["S3Object"]
            region = call.region or self.ctx.region
            doc = read_object(self.ctx.account_id, region, manifest, "InvalidS3ObjectException")
            entries = manifest_entries(doc.body.decode("utf-8", errors="replace"))
        elif "DatasetArn" in source:
            _, copied = self._dataset(source["DatasetArn"])
            manifest, entries = copied.manifest, list(copied.entries)
        phase = _Phase(
            "CREATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_FAILED",
            self._now(), self.dataset_duration, self._take_failure("dataset"),
        )  # fmt: skip
        arn = f"{self._arn_prefix(call)}/{project.name}/dataset/{kind.lower()}/{self._stamp()}"
        project.datasets[kind] = _Dataset(arn, kind, self._now(), phase, manifest, entries)
        return {"DatasetArn": arn}

    def _describe_dataset(self, call: Call) -> dict[str, Any]:
        _, dataset = self._dataset(call.params["DatasetArn"])
        now = self._now()
        status = dataset.phase.status(now)
        description: dict[str, Any] = {
            "CreationTimestamp": dataset.created,
            "LastUpdatedTimestamp": dataset.phase.started
            if status == dataset.phase.running
            else dataset.phase.ends,
            "Status": status,
            "StatusMessageCode": self._message_code(dataset.phase, now),
        }
        self._with_message(description, dataset.phase.message(now))
        if status not in ("CREATE_IN_PROGRESS", "CREATE_FAILED"):
            description["DatasetStats"] = dataset.stats
        return {"DatasetDescription": description}

    def _distribute_dataset_entries(self, call: Call) -> dict[str, Any]:
        """Both datasets ready, one TRAIN and one TEST of the same project, the test one empty:
        both go UPDATE_IN_PROGRESS, then UPDATE_COMPLETE with about 20% of the training entries
        moved (or UPDATE_FAILED, nothing moved, when there are too few labeled images)."""
        arns = [d["Arn"] for d in call.params.get("Datasets") or []]
        if len(arns) != 2:
            raise AwsError("InvalidParameterException", "Specify a training dataset and a test dataset.")
        found = [self._dataset(arn) for arn in arns]
        by_kind = {dataset.kind: (project, dataset) for project, dataset in found}
        if set(by_kind) != {"TRAIN", "TEST"} or found[0][0] is not found[1][0]:
            raise AwsError("InvalidParameterException",
                           "The datasets must be a training dataset and a test dataset of the same project.")
        now = self._now()
        for _, dataset in found:
            if dataset.phase.status(now) not in READY:
                raise AwsError("ResourceNotReadyException",
                               f"The {dataset.kind.lower()} dataset is {dataset.phase.status(now)}.")
        train, test = by_kind["TRAIN"][1], by_kind["TEST"][1]
        if test.entries:
            raise AwsError("InvalidParameterException", "The test dataset must be empty.")
        if not any(e.labels for e in train.entries):
            raise AwsError("InvalidParameterException", "The training dataset has no labeled images to distribute.")
        split = split_entries(train.entries)
        failure = self._take_failure("distribute") or (None if split else DISTRIBUTE_TOO_FEW)
        for dataset in (train, test):
            dataset.phase = _Phase("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED",
                                   now, self.distribute_duration, failure)
        if split is not None and failure is None:
            train.pending, test.pending = split
        return {}

    # -- model versions --------------------------------------------------------
    @staticmethod
    def _input(manifest: dict[str, Any] | None) -> dict[str, Any]:
        return {"Assets": [{"GroundTruthManifest": {"S3Object": manifest}}] if manifest else []}

    def _manifest_inputs(self, project: _Project, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """TrainingData and TestingData: both or neither, and only for a project without datasets."""
        if project.datasets:
            raise AwsError("InvalidParameterException",
                           "TrainingData and TestingData can only be specified for a project without datasets.")
        if "TrainingData" not in params or "TestingData" not in params:
            raise AwsError("InvalidParameterException", "Specify both TrainingData and TestingData.")
        inputs = {}
        for kind, param in (("TRAIN", "TrainingData"), ("TEST", "TestingData")):
            assets = params[param].get("Assets") or []
            manifest = assets[0].get("GroundTruthManifest", {}).get("S3Object") if assets else None
            inputs[kind] = self._input(manifest)
            if kind == "TEST" and params[param].get("AutoCreate"):
                inputs[kind]["AutoCreate"] = True
        return inputs

    def _dataset_inputs(self, project: _Project, now: datetime, call: Call) -> tuple[dict[str, Any], str | None]:
        """The project's datasets, which must be ready; with no test dataset, training splits about 20%
        of the training entries into a new test dataset of the project (a training failure if it cannot).
        Returns the inputs and the training failure message, if any."""
        for existing in project.datasets.values():
            existing.settle(now)
        train, test = project.datasets.get("TRAIN"), project.datasets.get("TEST")
        for kind, dataset in (("TRAIN", train), ("TEST", test)):
            if (dataset is None and kind == "TRAIN") or (dataset and dataset.phase.status(now) not in READY):
                raise AwsError("InvalidParameterException", f"The project has no {kind.lower()} dataset "
                                                            "with status CREATE_COMPLETE or UPDATE_COMPLETE.")
        assert train is not None
        inputs = {"TRAIN": self._input(train.manifest)}
        if test is not None:
            inputs["TEST"] = self._input(test.manifest)
            return inputs, None if test.entries else "sandbox: the test dataset is empty."
        inputs["TEST"] = {"Assets": [], "AutoCreate": True}
        split = split_entries(train.entries)
        if split is None:
            return inputs, AUTOSPLIT_TOO_FEW
        train.entries, moved = split
        phase = _Phase("CREATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_FAILED", now, timedelta(0))
        arn = f"{self._arn_prefix(call)}/{project.name}/dataset/test/{self._stamp()}"
        project.datasets["TEST"] = _Dataset(arn, "TEST", now, phase, None, moved)
        return inputs, None

    def _create_project_version(self, call: Call) -> dict[str, Any]:
        project = self._project(call.params["ProjectArn"])
        name = call.params["VersionName"]
        if name in project.versions:
            raise AwsError("ResourceInUseException", "The specified resource is already being used.")
        now = self._now()
        failure = None
        if "TrainingData" in call.params or "TestingData" in call.params:
            inputs = self._manifest_inputs(project, call.params)
        else:
            inputs, failure = self._dataset_inputs(project, now, call)
        training = _Phase(
            "TRAINING_IN_PROGRESS", "TRAINING_COMPLETED", "TRAINING_FAILED",
            now, self.training_duration, self._take_failure("training") or failure,
        )  # fmt: skip
        arn = f"{self._arn_prefix(call)}/{project.name}/version/{name}/{self._stamp()}"
        output = dict(call.params.get("OutputConfig") or {})
        project.versions[name] = _Version(arn, name, now, training, output, self.f1_score, inputs)
        return {"ProjectVersionArn": arn}

    def _status(self, version: _Version, now: datetime) -> tuple[str, str]:
        phase = version.phase if version.phase and now >= version.phase.started else version.training
        return phase.status(now), phase.message(now)

    def _summary_location(self, project: _Project, version: _Version) -> dict[str, str]:
        prefix = version.output_config.get("S3KeyPrefix", "")
        name = f"{prefix}EvaluationResultSummary-{project.name}-{version.name}.json"
        return {"Bucket": version.output_config.get("S3Bucket", ""), "Name": name}

    def _write_summary(self, project: _Project, version: _Version) -> None:
        """Put the evaluation summary file where Rekognition writes it (OutputConfig), once."""
        if version.summary_written:
            return
        version.summary_written = True
        location = self._summary_location(project, version)
        f1 = version.f1_score
        summary = {
            "Version": 1,
            "AggregatedEvaluationResults": {"F1Score": f1, "Precision": f1, "Recall": f1},
            "EvaluationDetails": {
                "EvaluationEndTimestamp": version.training.ends.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "ProjectVersionArn": version.arn,
            },
            "LabelEvaluationResults": [],
        }
        try:
            backend = s3_backend(self.ctx.account_id, self.ctx.region)
            backend.put_object(location["Bucket"], location["Name"], json.dumps(summary).encode())
        # bandit B110: the fake mirrors a failed write, nothing to report
        except Exception:  # nosec B110
            pass  # no such output bucket: like a failed write, the summary is simply absent

    def _describe_version(self, project: _Project, version: _Version, now: datetime) -> dict[str, Any]:
        status, message = self._status(version, now)
        description: dict[str, Any] = {
            "ProjectVersionArn": version.arn,
            "CreationTimestamp": version.created,
            "Status": status,
            "OutputConfig": version.output_config,
            "Feature": project.feature,
            "BaseModelVersion": "1.0",
        }
        self._with_message(description, message)
        training_done = version.training.status(now) == "TRAINING_COMPLETED"
        if training_done:
            self._write_summary(project, version)
            description.update(
                BillableTrainingTimeInSeconds=int(version.training.duration.total_seconds()),
                TrainingEndTimestamp=version.training.ends,
                EvaluationResult={
                    "F1Score": version.f1_score,
                    "Summary": {"S3Object": self._summary_location(project, version)},
                },
            )
        elif version.training.status(now) == "TRAINING_FAILED":
            description["TrainingEndTimestamp"] = version.training.ends
        for kind, key in (("TRAIN", "TrainingDataResult"), ("TEST", "TestingDataResult")):
            description[key] = {"Input": version.inputs[kind]}
        if version.inference_units:
            description.update(version.inference_units)
        return description

    def _describe_project_versions(self, call: Call) -> dict[str, Any]:
        project = self._project(call.params["ProjectArn"])
        names = call.params.get("VersionNames")
        now = self._now()
        versions = [v for v in project.versions.values() if not names or v.name in names]
        versions.sort(key=lambda v: v.created, reverse=True)
        return {"ProjectVersionDescriptions": [self._describe_version(project, v, now) for v in versions]}

    def _start_project_version(self, call: Call) -> dict[str, Any]:
        _, version = self._version(call.params["ProjectVersionArn"])
        now = self._now()
        status, _ = self._status(version, now)
        if status not in ("TRAINING_COMPLETED", "STOPPED", "FAILED"):
            raise AwsError("ResourceInUseException", f"The model version is {status} and cannot be started.")
        version.inference_units = {"MinInferenceUnits": int(call.params["MinInferenceUnits"])}
        if "MaxInferenceUnits" in call.params:
            version.inference_units["MaxInferenceUnits"] = int(call.params["MaxInferenceUnits"])
        version.phase = _Phase(
            "STARTING", "RUNNING", "FAILED", now, self.start_duration, self._take_failure("start")
        )
        return {"Status": "STARTING"}

    def _stop_project_version(self, call: Call) -> dict[str, Any]:
        _, version = self._version(call.params["ProjectVersionArn"])
        now = self._now()
        status, _ = self._status(version, now)
        if status not in ("RUNNING", "STARTING"):
            raise AwsError("ResourceInUseException", f"The model version is {status} and cannot be stopped.")
        version.phase = _Phase("STOPPING", "STOPPED", "STOPPED", now, self.stop_duration)
        return {"Status": "STOPPING"}
