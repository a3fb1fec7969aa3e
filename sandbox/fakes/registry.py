"""Install every fake on one botocore event emitter and keep hold of them.

Tests and the CLI need the instances afterwards (`sb.fakes.custom_labels.fail(...)`,
`sb.fakes.s3_restore.delays[...]`), so installing returns them together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.fakes import FakeContext
from sandbox.fakes.custom_labels import CustomLabelsFake
from sandbox.fakes.http import HttpFake
from sandbox.fakes.rekognition import DetectLabelsFake
from sandbox.fakes.s3_restore import S3RestoreFake
from sandbox.fakes.textract import TextractFake


@dataclass
class Fakes:
    textract: TextractFake = field(default_factory=TextractFake)
    detect_labels: DetectLabelsFake = field(default_factory=DetectLabelsFake)
    custom_labels: CustomLabelsFake = field(default_factory=CustomLabelsFake)
    s3_restore: S3RestoreFake = field(default_factory=S3RestoreFake)
    http: HttpFake = field(default_factory=HttpFake)

    def all(self) -> tuple[TextractFake | DetectLabelsFake | CustomLabelsFake | S3RestoreFake | HttpFake, ...]:
        return (self.textract, self.detect_labels, self.custom_labels, self.s3_restore, self.http)


def install_fakes(events: Any, ctx: FakeContext) -> Fakes:
    """Register every fake on `events` (e.g. `boto3.DEFAULT_SESSION.events` once mock_aws runs).

    Clients copy the session's emitter when created: install before building clients.
    """
    fakes = Fakes()
    for fake in fakes.all():
        fake.register(events, ctx)
    return fakes
