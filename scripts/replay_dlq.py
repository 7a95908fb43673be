#!/usr/bin/env python3
"""Drain the failure queue through `ses-feedback-logger replay`.

Receives up to 10 messages at a time, replays them (the binary writes them to CloudWatch Logs as the
function would), and deletes exactly the messages the replay reports stored. A message that could not be
used or stored stays in the queue (it becomes visible again after the visibility timeout) and is listed
at the end. Stops when a receive comes back empty.

    scripts/replay_dlq.py --queue-url URL --log-group NAME [--binary PATH]
                          [--stack NAME --region REGION]   (queue and group from the stack's outputs)

Credentials and region come from the usual AWS settings; AWS_ENDPOINT_URL is honoured (tests use moto).
Exit status: 0 when the queue was drained, 1 when messages were left in it, 2 on a usage error.
"""

import argparse
import json
import os
import subprocess
import sys

import boto3

RECEIVE_BATCH = 10
# Long enough for a replay of one batch; a message left in the queue comes back after it.
VISIBILITY_TIMEOUT_S = 120


def stack_outputs(stack, region):
    cloudformation = boto3.client("cloudformation", region_name=region)
    stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def replay(binary, log_group, region, lines):
    """Runs the replay over `lines`; returns its JSON report (doneLines counts from 1)."""
    env = dict(os.environ, LOG_GROUP_NAME=log_group)
    if region:
        env["AWS_REGION"] = region
    completed = subprocess.run(
        [binary, "replay", "--json"],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    try:
        return json.loads(completed.stdout)
    except ValueError:
        # No report: the binary did not start (bad configuration) or could not read its input.
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"replay_dlq: the replay failed (exit status {completed.returncode})")


def drain(sqs, queue_url, binary, log_group, region):
    """Replays and deletes until the queue has nothing visible; returns (deleted, left)."""
    deleted, left = 0, []
    while True:
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=RECEIVE_BATCH,
            WaitTimeSeconds=1,
            VisibilityTimeout=VISIBILITY_TIMEOUT_S,
            AttributeNames=["SentTimestamp"],
        ).get("Messages", [])
        if not received:
            return deleted, left
        # One line per message, in the shape `aws sqs receive-message` prints one.
        lines = [
            json.dumps({"MessageId": m["MessageId"], "Body": m["Body"], "Attributes": m.get("Attributes", {})})
            for m in received
        ]
        report = replay(binary, log_group, region, lines)
        done = set(report["doneLines"])
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(received)
            if i + 1 in done
        ]
        if entries:
            result = sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
            deleted += len(result.get("Successful", []))
        reasons = {u["line"]: u["reason"] for u in report["unusableLines"]}
        for i, message in enumerate(received):
            if i + 1 not in done:
                why = reasons.get(i + 1, "not stored: CloudWatch Logs failed")
                left.append((message["MessageId"], why))
        for stream, events in sorted(report["written"].items()):
            print(f"  {stream}: {events} log events written")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queue-url")
    parser.add_argument("--log-group")
    parser.add_argument("--stack", help="take the queue and the log group from this stack's outputs")
    parser.add_argument("--region")
    parser.add_argument("--binary", default="target/release/ses-feedback-logger")
    args = parser.parse_args()

    queue_url, log_group = args.queue_url, args.log_group
    if args.stack and not (queue_url and log_group):
        outputs = stack_outputs(args.stack, args.region)
        queue_url = queue_url or outputs.get("FailureQueueUrl")
        log_group = log_group or outputs.get("FeedbackLogGroupName")
    if not queue_url or not log_group:
        parser.print_usage(sys.stderr)
        print("replay_dlq: give --queue-url and --log-group, or --stack", file=sys.stderr)
        return 2
    if not os.access(args.binary, os.X_OK):
        print(f"replay_dlq: no replay binary at {args.binary} (cargo build --release)", file=sys.stderr)
        return 2

    sqs = boto3.client("sqs", region_name=args.region)
    deleted, left = drain(sqs, queue_url, args.binary, log_group, args.region)
    print(f"replay_dlq: {deleted} messages replayed and deleted, {len(left)} left in the queue")
    for message_id, why in left:
        print(f"  left {message_id}: {why}")
    return 0 if not left else 1


if __name__ == "__main__":
    sys.exit(main())
