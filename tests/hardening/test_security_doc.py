"""docs/security.md: its IAM summary is the one generated from the SAM transform, and README links it."""

from __future__ import annotations

from tests.hardening import iam_policies
from tests.hardening.suite import ROOT


def test_iam_summary_is_generated_from_the_template() -> None:
    text = iam_policies.SECURITY_DOC.read_text()
    start, end = text.index(iam_policies.BEGIN), text.index(iam_policies.END) + len(iam_policies.END)
    assert text[start:end] == iam_policies.doc_block(), (
        "docs/security.md's IAM summary is stale: `.venv/bin/python -m tests.hardening.iam_policies --write`")


def test_readme_links_the_security_page() -> None:
    assert "(docs/security.md)" in (ROOT / "README.md").read_text()
