"""scripts/replay_dlq.py against moto (SQS and CloudWatch Logs) with the built binary: stored messages are
deleted from the queue, unusable ones stay and are named."""

import json
import os
import pathlib
import subprocess
import sys
import time

import boto3
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
MIXED = (ROOT / "events" / "replay-mixed.jsonl").read_text().splitlines()
BINARY = os.environ.get("REPLAY_BINARY", str(ROOT / "target" / "debug" / "ses-feedback-logger"))
ENDPOINT = os.environ.get("MOTO_ENDPOINT")

pytestmark = pytest.mark.skipif(not ENDPOINT, reason="needs moto: run through `make test`")


def client(service):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def failure_record_body():
    """The failure queue's message body of line 3 of the mixed file (a Lambda failure record)."""
    return json.loads(MIXED[2])["Messages"][0]["Body"]


def run_script(queue_url, group, **extra_env):
    return run_script_with(["--queue-url", queue_url, "--log-group", group], **extra_env)


def run_script_with(args, **extra_env):
    env = dict(
        os.environ,
        AWS_ENDPOINT_URL=ENDPOINT,
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
        **extra_env,
    )
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "replay_dlq.py"), *args, "--binary", BINARY,
         "--region", "us-east-1"],
        capture_output=True, text=True, env=env, check=False,
    )


def streams(group):
    logs = client("logs")
    found = {}
    for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]:
        name = stream["logStreamName"]
        found[name] = len(logs.get_log_events(logGroupName=group, logStreamName=name)["events"])
    return found


def messages_in(queue_url):
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def new_queue_and_group(name):
    suffix = f"{os.getpid()}-{time.time_ns()}"
    queue_url = client("sqs").create_queue(QueueName=f"{name}-{suffix}")["QueueUrl"]
    return queue_url, f"/replay-dlq/{name}-{suffix}"


def test_the_failure_queue_is_drained_and_what_is_not_feedback_is_kept_verbatim():
    queue_url, group = new_queue_and_group("mixed")
    sqs = client("sqs")
    for body in [failure_record_body(), MIXED[5], "this message is not JSON"]:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)

    result = run_script(queue_url, group)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 messages replayed and deleted, 0 left in the queue" in result.stdout, result.stdout
    assert "@" not in result.stdout + result.stderr, "an address in the script's output"
    assert streams(group) == {"Complaint": 1, "Click": 1, "Unrecognized": 1}
    assert messages_in(queue_url) == 0


def test_messages_that_cannot_be_stored_stay_in_the_queue_and_are_named():
    queue_url, group = new_queue_and_group("down")
    sqs = client("sqs")
    sent = sqs.send_message(QueueUrl=queue_url, MessageBody=MIXED[5])["MessageId"]
    # CloudWatch Logs unreachable (nothing listens on port 9), SQS still moto.
    result = run_script(queue_url, group, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS="http://127.0.0.1:9")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 messages replayed and deleted, 1 left in the queue" in result.stdout, result.stdout
    assert f"left {sent}: not stored" in result.stdout, result.stdout
    assert messages_in(queue_url) == 1


def test_a_queue_of_usable_messages_is_emptied_with_exit_status_zero():
    queue_url, group = new_queue_and_group("clean")
    sqs = client("sqs")
    for i in range(23):  # more than two receive batches
        sqs.send_message(QueueUrl=queue_url, MessageBody=MIXED[5].replace('"Click"', f'"Click","copy":{i}'))
    result = run_script(queue_url, group)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "23 messages replayed and deleted, 0 left" in result.stdout, result.stdout
    assert streams(group) == {"Click": 23}
    assert messages_in(queue_url) == 0


def test_the_queue_and_the_log_group_come_from_the_stack_outputs():
    suffix = f"{os.getpid()}-{time.time_ns()}"
    template = {
        "Resources": {
            "FailureQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"failures-{suffix}"}},
        },
        "Outputs": {
            "FailureQueueUrl": {"Value": {"Ref": "FailureQueue"}},
            "FeedbackLogGroupName": {"Value": f"/replay-dlq/stack-{suffix}"},
        },
    }
    stack = f"replay-dlq-{suffix}"
    client("cloudformation").create_stack(StackName=stack, TemplateBody=json.dumps(template))
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    }
    client("sqs").send_message(QueueUrl=outputs["FailureQueueUrl"], MessageBody=MIXED[5])
    result = run_script_with(["--stack", stack])
    assert result.returncode == 0, result.stdout + result.stderr
    assert streams(f"/replay-dlq/stack-{suffix}") == {"Click": 1}


def test_the_eventbridge_rules_dead_letter_queue_is_replayed_by_its_events():
    """With Trigger eventbridge, the rule's dead-letter queue holds each EventBridge event as the body."""
    queue_url, group = new_queue_and_group("eventbridge")
    sqs = client("sqs")
    for name in ("eventbridge-bounce.json", "eventbridge-sending-status-disabled.json"):
        event = json.loads((ROOT / "events" / name).read_text())
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps(event),
            MessageAttributes={"ERROR_CODE": {"DataType": "String", "StringValue": "SDK_CLIENT_ERROR"}},
        )
    result = run_script(queue_url, group)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 messages replayed and deleted, 0 left in the queue" in result.stdout, result.stdout
    assert "@" not in result.stdout + result.stderr, "an address in the script's output"
    assert streams(group) == {"Bounce": 2, "AccountEvent": 1}
    assert messages_in(queue_url) == 0
