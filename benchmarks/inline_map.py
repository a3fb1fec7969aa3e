"""An inline Map over many items, on one worker: the Map takes its items in a loop, not by recursion.

    python -m benchmarks.inline_map [--items 100000]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from moto import mock_aws

from sandbox import engine
from tests.sandbox.engine_helpers import ENGINE_CONFIG, run

DEFINITION = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "MaxConcurrency": 1, "ItemsPath": "$.items", "End": True,
    "ItemProcessor": {"StartAt": "Double", "States": {"Double": {
        "Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, $.n)"}, "End": True}}}}}}


def bench(items: int = 100_000) -> dict[str, Any]:
    with mock_aws(config=ENGINE_CONFIG):
        engine.install()
        started = time.perf_counter()
        described = run(DEFINITION, {"items": [{"n": i} for i in range(items)]}, timeout=3600)
        wall = time.perf_counter() - started
    output = json.loads(described.get("output") or "null") or []
    return {"items": items, "status": described["status"], "outputs": len(output),
            "wall_s": round(wall, 1), "us_per_item": round(wall * 1e6 / items)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    print(json.dumps(bench(parser.parse_args().items), indent=2))


if __name__ == "__main__":
    main()
