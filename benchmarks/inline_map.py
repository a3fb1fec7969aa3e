"""An inline Map over many items, on one worker: the Map takes its items in a loop, not by recursion.

    python -m benchmarks.inline_map [--items 100000]

The items are zeros, so 100,000 of them fit the 256 KiB input quota as on AWS; the Map's results
are discarded (`ResultPath: null`) for the same reason.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from moto import mock_aws

from sandbox import engine
from tests.sandbox.engine_helpers import ENGINE_CONFIG, create_machine, sfn_client, wait_done

DEFINITION = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "MaxConcurrency": 1, "ItemsPath": "$.items", "ResultPath": None, "End": True,
    "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}}}}}


def bench(items: int = 100_000) -> dict[str, Any]:
    with mock_aws(config=ENGINE_CONFIG):
        engine.install()
        started = time.perf_counter()
        payload = json.dumps({"items": [0] * items}, separators=(",", ":"))  # compact, as the quota counts it
        arn = sfn_client().start_execution(stateMachineArn=create_machine(DEFINITION), input=payload)["executionArn"]
        described = wait_done(arn, timeout=3600)
        wall = time.perf_counter() - started
    output = json.loads(described.get("output") or "null") or {}
    return {"items": items, "status": described["status"], "input_items_back": len(output.get("items", [])),
            "wall_s": round(wall, 1), "us_per_item": round(wall * 1e6 / items)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    print(json.dumps(bench(parser.parse_args().items), indent=2))


if __name__ == "__main__":
    main()
