"""The baseline of the per-transition figure: the same ASL on moto alone, in its own process.

    python -m benchmarks.plain_moto <definition.asl.json> '<input JSON>' <repeat>

Prints one JSON line: the wall seconds of each execution (StartExecution until DescribeExecution
says it ended) and its state transitions. It never imports the sandbox, so none of its patches of
moto are active: this is what moto 5.2.5's interpreter costs by itself.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import boto3
from moto import mock_aws

ROLE = "arn:aws:iam::123456789012:role/benchmark"


def run(definition: str, payload: str, repeat: int) -> dict[str, object]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(name="baseline", definition=definition, roleArn=ROLE)["stateMachineArn"]
        seconds, transitions = [], 0
        for attempt in range(repeat):
            started = time.perf_counter()
            # Named: unnamed starts of moto's interpreter all share one ARN.
            execution = sfn.start_execution(stateMachineArn=arn, input=payload, name=f"run-{attempt}")["executionArn"]
            while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
                time.sleep(0.001)
            seconds.append(time.perf_counter() - started)
            events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
            transitions = sum(1 for event in events if event["type"].endswith("StateEntered"))
    return {"seconds": seconds, "transitions": transitions}


if __name__ == "__main__":
    definition_file, payload, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(run(Path(definition_file).read_text(), payload, repeat)))
