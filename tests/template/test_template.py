"""Assertions on template.yaml, read as written and as expanded by aws-sam-translator.

Each test checks the deployment property it is named after. The SAM template is loaded with
cfn-lint's YAML decoder (it understands !Ref, !Sub, !If, ...); the expansion comes from
scripts/expand_template.py, the same offline transform scripts/check_template.sh lints.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from cfnlint.decode import cfn_yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"

CLOUDWATCH_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
]
ARN_PREFIX = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
FEEDBACK_STREAMS_ARN = ARN_PREFIX + "${FeedbackLogGroup}:log-stream:*"
FEEDBACK_GROUP_ARNS = {ARN_PREFIX + "${FeedbackLogGroup}", ARN_PREFIX + "${FeedbackLogGroup}:*"}
OWN_STREAMS_ARN = ARN_PREFIX + "${FunctionLogGroup}:log-stream:*"
FAILURE_QUEUE_ARN = {"Fn::GetAtt": ["FailureQueue", "Arn"]}
TOPIC_IN_USE = {"Fn::If": ["CreateTopic", {"Ref": "FeedbackTopic"}, {"Ref": "ExistingTopicArn"}]}

# Which resources each action the function's role holds may touch.
ALLOWED_RESOURCES_BY_ACTION: dict[str, list[Any]] = {
    "logs:CreateLogStream": [FEEDBACK_STREAMS_ARN, OWN_STREAMS_ARN],
    "logs:PutLogEvents": [FEEDBACK_STREAMS_ARN, OWN_STREAMS_ARN],
    "logs:GetLogEvents": [FEEDBACK_STREAMS_ARN],
    "logs:CreateLogGroup": sorted(FEEDBACK_GROUP_ARNS),
    "sqs:SendMessage": [FAILURE_QUEUE_ARN],
}

LOGS_INSIGHTS_COMMANDS = {
    "fields", "filter", "stats", "sort", "limit", "parse", "display", "dedup", "unmask",
    "filterIndex", "pattern", "diff", "anomaly", "unnest", "source", "lookup",
}


def _plain(node: Any) -> Any:
    """cfn-lint's decoder returns dict/str subclasses carrying line numbers; make plain values."""
    return json.loads(json.dumps(node))


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return _plain(cfn_yaml.load(str(TEMPLATE_PATH)))


@pytest.fixture(scope="module")
def expanded() -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("expand_template", REPO / "scripts" / "expand_template.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return _plain(module.expand(TEMPLATE_PATH))


def _resources_of_type(tpl: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in tpl["Resources"].items() if res["Type"] == kind}


def _function(tpl: dict[str, Any]) -> dict[str, Any]:
    functions = _resources_of_type(tpl, "AWS::Serverless::Function") or _resources_of_type(tpl, "AWS::Lambda::Function")
    assert list(functions) == ["FeedbackFunction"], f"expected exactly one function, got {list(functions)}"
    return functions["FeedbackFunction"]


def _function_role(expanded: dict[str, Any]) -> dict[str, Any]:
    role_ref = _function(expanded)["Properties"]["Role"]
    assert "Fn::GetAtt" in role_ref, f"the function's role should be a role of this stack, got {role_ref}"
    role_name, attribute = role_ref["Fn::GetAtt"]
    assert attribute == "Arn"
    role = expanded["Resources"][role_name]
    assert role["Type"] == "AWS::IAM::Role"
    return role


def _statements(role: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for policy in role["Properties"].get("Policies", []):
        statements = policy["PolicyDocument"]["Statement"]
        yield from statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _sub_text(value: Any) -> Any:
    """The text of a !Sub (string form), or the value itself."""
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return value["Fn::Sub"]
    return value


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


# ------------------------------------------------------------------------------------ function


def test_function_is_rust_built_by_cargo_lambda_on_provided_al2023_arm64(template: dict[str, Any]) -> None:
    function = _function(template)
    props = function["Properties"]
    assert function["Metadata"]["BuildMethod"] == "rust-cargolambda"
    assert function["Metadata"]["BuildProperties"]["Binary"] == "ses-feedback-logger"
    assert props["CodeUri"] == "."
    assert props["Runtime"] == "provided.al2023"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "bootstrap"


def test_expanded_function_keeps_runtime_architecture_and_handler(expanded: dict[str, Any]) -> None:
    props = _function(expanded)["Properties"]
    assert props["Runtime"] == "provided.al2023"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "bootstrap"


def test_function_has_128_mb(template: dict[str, Any]) -> None:
    assert _function(template)["Properties"]["MemorySize"] == 128


def test_function_timeout_exceeds_its_25_second_write_deadline(template: dict[str, Any]) -> None:
    timeout = _function(template)["Properties"]["Timeout"]
    assert 25 < timeout <= 900
    assert timeout >= 30, "leave the function time to report after its 25 s deadline"


def test_function_logs_json_to_its_own_log_group_with_retention(template: dict[str, Any]) -> None:
    logging_config = _function(template)["Properties"]["LoggingConfig"]
    assert logging_config["LogFormat"] == "JSON"
    group_name = logging_config["LogGroup"]["Ref"]
    group = template["Resources"][group_name]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group_name != "FeedbackLogGroup", "the function's own log must not mix with the feedback"
    retention = group["Properties"]["RetentionInDays"]
    assert retention == {"Ref": "FunctionLogRetentionDays"}
    assert template["Parameters"]["FunctionLogRetentionDays"]["AllowedValues"] == CLOUDWATCH_RETENTION_DAYS


def test_function_environment_names_feedback_group_format_and_topic(template: dict[str, Any]) -> None:
    env = _function(template)["Properties"]["Environment"]["Variables"]
    assert env["LOG_GROUP_NAME"] == {"Ref": "FeedbackLogGroup"}
    assert env["LOG_FORMAT"] == {"Ref": "LogFormat"}
    assert env["ALLOWED_TOPIC_ARNS"] == TOPIC_IN_USE
    log_format = template["Parameters"]["LogFormat"]
    assert log_format["AllowedValues"] == ["json", "plain"]
    assert log_format["Default"] == "json"


# ------------------------------------------------------------------------------------ least privilege


def test_function_role_holds_only_the_needed_actions_on_their_own_resources(expanded: dict[str, Any]) -> None:
    role = _function_role(expanded)
    assert not role["Properties"].get("ManagedPolicyArns"), "managed policies grant logs:* on every group"
    seen_actions = set()
    for statement in _statements(role):
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        resources = [_sub_text(r) for r in _as_list(statement["Resource"])]
        for action in _as_list(statement["Action"]):
            assert action in ALLOWED_RESOURCES_BY_ACTION, f"unexpected action {action}"
            seen_actions.add(action)
            for resource in resources:
                assert resource in ALLOWED_RESOURCES_BY_ACTION[action], f"{action} on {resource}"
    assert seen_actions == set(ALLOWED_RESOURCES_BY_ACTION)


def test_function_may_write_only_to_the_feedback_group_streams(expanded: dict[str, Any]) -> None:
    """The feedback write permissions name the feedback group, whose Ref is its name."""
    feedback_grants = [
        (action, _sub_text(resource))
        for statement in _statements(_function_role(expanded))
        for action in _as_list(statement["Action"])
        for resource in _as_list(statement["Resource"])
        if "${FeedbackLogGroup}" in str(_sub_text(resource))
    ]
    assert ("logs:CreateLogStream", FEEDBACK_STREAMS_ARN) in feedback_grants
    assert ("logs:PutLogEvents", FEEDBACK_STREAMS_ARN) in feedback_grants
    assert ("logs:GetLogEvents", FEEDBACK_STREAMS_ARN) in feedback_grants
    group = expanded["Resources"]["FeedbackLogGroup"]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["LogGroupName"] == {"Ref": "FeedbackLogGroupName"}


def test_no_wildcard_in_function_role_except_log_stream_and_group_suffixes(expanded: dict[str, Any]) -> None:
    role = _function_role(expanded)
    allowed_wildcards = {FEEDBACK_STREAMS_ARN, OWN_STREAMS_ARN, ARN_PREFIX + "${FeedbackLogGroup}:*"}
    for text in _strings(role["Properties"]["Policies"]):
        if "*" in text:
            assert text in allowed_wildcards, f"wildcard in the function's IAM policy: {text!r}"
    for statement in _statements(role):
        for action in _as_list(statement["Action"]):
            assert "*" not in action


def test_only_one_iam_role_and_no_other_iam_policy_in_the_expansion(expanded: dict[str, Any]) -> None:
    assert list(_resources_of_type(expanded, "AWS::IAM::Role")) == ["FeedbackFunctionRole"]
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User"):
        assert not _resources_of_type(expanded, kind)


# ------------------------------------------------------------------------------------ nothing lost


def test_failed_events_go_to_sqs_after_two_retries(template: dict[str, Any]) -> None:
    config = _function(template)["Properties"]["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 2
    assert 60 <= config["MaximumEventAgeInSeconds"] <= 21600
    on_failure = config["DestinationConfig"]["OnFailure"]
    assert on_failure["Type"] == "SQS"
    assert on_failure["Destination"] == FAILURE_QUEUE_ARN


def test_expansion_has_event_invoke_config_with_sqs_on_failure(expanded: dict[str, Any]) -> None:
    configs = _resources_of_type(expanded, "AWS::Lambda::EventInvokeConfig")
    assert len(configs) == 1
    props = next(iter(configs.values()))["Properties"]
    assert props["FunctionName"] == {"Ref": "FeedbackFunction"}
    assert props["MaximumRetryAttempts"] == 2
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == FAILURE_QUEUE_ARN


def test_function_role_may_send_failed_events_to_the_queue(expanded: dict[str, Any]) -> None:
    grants = [
        (action, resource)
        for statement in _statements(_function_role(expanded))
        for action in _as_list(statement["Action"])
        for resource in _as_list(statement["Resource"])
    ]
    assert ("sqs:SendMessage", FAILURE_QUEUE_ARN) in grants


def test_failure_queue_is_encrypted_and_keeps_messages_14_days(template: dict[str, Any]) -> None:
    queue = template["Resources"]["FailureQueue"]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


# ------------------------------------------------------------------------------------ feedback log group


def test_feedback_retention_parameter_allows_exactly_the_cloudwatch_values(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["FeedbackLogRetentionDays"]
    assert parameter["AllowedValues"] == CLOUDWATCH_RETENTION_DAYS
    assert parameter["Default"] in CLOUDWATCH_RETENTION_DAYS
    group = template["Resources"]["FeedbackLogGroup"]
    assert group["Properties"]["RetentionInDays"] == {"Ref": "FeedbackLogRetentionDays"}


def test_feedback_log_group_is_retained_on_delete_and_replacement(template: dict[str, Any]) -> None:
    group = template["Resources"]["FeedbackLogGroup"]
    assert group["DeletionPolicy"] == "Retain"
    assert group["UpdateReplacePolicy"] == "Retain"


def test_feedback_log_group_name_defaults_to_ses_feedback(template: dict[str, Any]) -> None:
    assert template["Parameters"]["FeedbackLogGroupName"]["Default"] == "ses-feedback"
    assert template["Resources"]["FeedbackLogGroup"]["Properties"]["LogGroupName"] == {"Ref": "FeedbackLogGroupName"}


def test_feedback_log_group_kms_key_is_optional(template: dict[str, Any]) -> None:
    assert template["Parameters"]["FeedbackLogKmsKeyArn"]["Default"] == ""
    assert template["Resources"]["FeedbackLogGroup"]["Properties"]["KmsKeyId"] == {
        "Fn::If": ["HasFeedbackLogKmsKey", {"Ref": "FeedbackLogKmsKeyArn"}, {"Ref": "AWS::NoValue"}]
    }


# ------------------------------------------------------------------------------------ SNS topic


def test_topic_is_created_unless_an_existing_topic_is_given(template: dict[str, Any]) -> None:
    assert template["Parameters"]["ExistingTopicArn"]["Default"] == ""
    assert template["Conditions"]["CreateTopic"] == {"Fn::Equals": [{"Ref": "ExistingTopicArn"}, ""]}
    assert template["Resources"]["FeedbackTopic"]["Condition"] == "CreateTopic"
    assert template["Resources"]["FeedbackTopicPolicy"]["Condition"] == "CreateTopic"


def test_topic_kms_key_is_optional(template: dict[str, Any]) -> None:
    assert template["Parameters"]["TopicKmsKeyId"]["Default"] == ""
    assert template["Resources"]["FeedbackTopic"]["Properties"]["KmsMasterKeyId"] == {
        "Fn::If": ["HasTopicKmsKey", {"Ref": "TopicKmsKeyId"}, {"Ref": "AWS::NoValue"}]
    }


def test_topic_policy_lets_only_ses_of_this_account_publish(template: dict[str, Any]) -> None:
    policy = template["Resources"]["FeedbackTopicPolicy"]["Properties"]
    assert policy["Topics"] == [{"Ref": "FeedbackTopic"}]
    statements = _as_list(policy["PolicyDocument"]["Statement"])
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (statement,) = allows
    assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert [a.lower() for a in _as_list(statement["Action"])] == ["sns:publish"]
    assert statement["Resource"] == {"Ref": "FeedbackTopic"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_function_subscribes_to_the_topic_in_use(template: dict[str, Any]) -> None:
    events = _function(template)["Properties"]["Events"]
    sns_events = [e for e in events.values() if e["Type"] == "SNS"]
    assert len(sns_events) == 1
    assert sns_events[0]["Properties"]["Topic"] == TOPIC_IN_USE


def test_expansion_wires_the_topic_to_the_function(expanded: dict[str, Any]) -> None:
    subscriptions = [
        s["Properties"]
        for s in _resources_of_type(expanded, "AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "lambda"
    ]
    assert len(subscriptions) == 1
    assert subscriptions[0]["TopicArn"] == TOPIC_IN_USE
    assert subscriptions[0]["Endpoint"] == {"Fn::GetAtt": ["FeedbackFunction", "Arn"]}
    permissions = [p["Properties"] for p in _resources_of_type(expanded, "AWS::Lambda::Permission").values()]
    assert len(permissions) == 1
    assert permissions[0]["Principal"] == "sns.amazonaws.com"
    assert permissions[0]["Action"] == "lambda:InvokeFunction"
    assert permissions[0]["SourceArn"] == TOPIC_IN_USE
    assert permissions[0]["FunctionName"] == {"Ref": "FeedbackFunction"}


# ------------------------------------------------------------------------------------ alarms

ALARMS = {
    # name: (namespace, metric, threshold, comparison)
    "FailureQueueNotEmptyAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", 0, "GreaterThanThreshold"),
    "FunctionErrorsAlarm": ("AWS/Lambda", "Errors", 0, "GreaterThanThreshold"),
    "SesBounceRateAlarm": ("AWS/SES", "Reputation.BounceRate", 0.05, "GreaterThanOrEqualToThreshold"),
    "SesComplaintRateAlarm": ("AWS/SES", "Reputation.ComplaintRate", 0.001, "GreaterThanOrEqualToThreshold"),
}


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_alarm_watches_its_metric_with_its_threshold(template: dict[str, Any], name: str) -> None:
    namespace, metric, threshold, comparison = ALARMS[name]
    alarm = template["Resources"][name]
    assert alarm["Type"] == "AWS::CloudWatch::Alarm"
    props = alarm["Properties"]
    assert props["Namespace"] == namespace
    assert props["MetricName"] == metric
    assert float(props["Threshold"]) == threshold
    assert props["ComparisonOperator"] == comparison
    assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_queue_and_function_alarms_watch_this_stacks_queue_and_function(template: dict[str, Any]) -> None:
    queue_dims = template["Resources"]["FailureQueueNotEmptyAlarm"]["Properties"]["Dimensions"]
    assert queue_dims == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["FailureQueue", "QueueName"]}}]
    function_dims = template["Resources"]["FunctionErrorsAlarm"]["Properties"]["Dimensions"]
    assert function_dims == [{"Name": "FunctionName", "Value": {"Ref": "FeedbackFunction"}}]


def test_alarm_email_subscription_only_when_an_address_is_given(template: dict[str, Any]) -> None:
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""
    assert template["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    email = [
        s for s in _resources_of_type(template, "AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "email"
    ]
    assert len(email) == 1
    assert email[0]["Condition"] == "HasAlarmEmail"
    assert email[0]["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    assert email[0]["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


# ------------------------------------------------------------------------------------ saved queries

QUERIES = {
    # resource: fragments its query must contain
    "RecentPermanentBouncesQuery": ['bounceType = "Permanent"', "sort @timestamp desc"],
    "BouncesByDomainQuery": ['parse emailAddress "*@*" as user, domain', "by domain"],
    "ComplaintsByFeedbackTypeQuery": ['notificationType = "Complaint"', "by complaintFeedbackType"],
    "DiagnosticCodesQuery": ["diagnosticCode", "sort occurrences desc"],
    "AddressHistoryQuery": ["someone@example.com", "emailAddress"],
}


def _query_commands(query: str) -> list[str]:
    body = "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))
    return [segment.strip() for segment in body.split("|") if segment.strip()]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_saved_query_runs_over_the_feedback_group(template: dict[str, Any], name: str) -> None:
    query = template["Resources"][name]
    assert query["Type"] == "AWS::Logs::QueryDefinition"
    props = query["Properties"]
    assert props["LogGroupNames"] == [{"Ref": "FeedbackLogGroup"}]
    for fragment in QUERIES[name]:
        assert fragment in props["QueryString"], f"{name} lacks {fragment!r}"
    for command in _query_commands(props["QueryString"]):
        assert command.split()[0] in LOGS_INSIGHTS_COMMANDS, f"{name}: unknown command in {command!r}"
    assert props["QueryString"].count('"') % 2 == 0


def test_there_are_exactly_the_five_saved_queries(template: dict[str, Any]) -> None:
    assert sorted(_resources_of_type(template, "AWS::Logs::QueryDefinition")) == sorted(QUERIES)


def test_saved_queries_only_use_fields_the_function_logs(template: dict[str, Any]) -> None:
    logged = {
        "emailAddress", "notificationType", "timestamp", "messageId", "source", "feedbackId", "snsMessageId",
        "bounceType", "bounceSubType", "action", "status", "diagnosticCode", "reportingMTA", "remoteMtaIp",
        "complaintFeedbackType", "complaintSubType", "userAgent", "arrivalDate", "smtpResponse",
    }
    for name in QUERIES:
        query = template["Resources"][name]["Properties"]["QueryString"]
        fields_line = next((c for c in _query_commands(query) if c.startswith("fields ")), None)
        if fields_line:
            for field in (f.strip() for f in fields_line[len("fields "):].split(",")):
                assert field.startswith("@") or field in logged, f"{name} shows unknown field {field}"


# ------------------------------------------------------------------------------------ SES wiring


def test_configuration_set_is_optional_and_publishes_chosen_events_to_the_topic(template: dict[str, Any]) -> None:
    params = template["Parameters"]
    assert params["CreateConfigurationSet"]["AllowedValues"] == ["true", "false"]
    assert params["CreateConfigurationSet"]["Default"] == "false"
    assert params["EventTypes"]["Type"] == "CommaDelimitedList"
    assert set(params["EventTypes"]["Default"].split(",")) == {"bounce", "complaint", "deliveryDelay", "reject"}
    assert set(params["EventTypes"]["AllowedValues"]) == {
        "send", "reject", "bounce", "complaint", "delivery", "open", "click", "renderingFailure",
        "deliveryDelay", "subscription",
    }
    assert template["Resources"]["ConfigurationSet"]["Condition"] == "CreateConfigSet"
    destination = template["Resources"]["ConfigurationSetSnsDestination"]
    assert destination["Condition"] == "CreateConfigSet"
    event_destination = destination["Properties"]["EventDestination"]
    assert event_destination["Enabled"] is True
    assert event_destination["MatchingEventTypes"] == {"Ref": "EventTypes"}
    assert event_destination["SnsDestination"]["TopicARN"] == TOPIC_IN_USE


def test_outputs_give_topic_function_group_queue_and_wiring_commands(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    for name in ("TopicArn", "FunctionName", "FeedbackLogGroupName", "FailureQueueUrl", "WireIdentityCommands"):
        assert name in outputs, f"missing output {name}"
    assert outputs["TopicArn"]["Value"] == TOPIC_IN_USE
    assert outputs["FunctionName"]["Value"] == {"Ref": "FeedbackFunction"}
    assert outputs["FeedbackLogGroupName"]["Value"] == {"Ref": "FeedbackLogGroup"}
    assert outputs["FailureQueueUrl"]["Value"] == {"Ref": "FailureQueue"}


def test_wiring_commands_send_bounce_complaint_delivery_with_headers(template: dict[str, Any]) -> None:
    text, variables = template["Outputs"]["WireIdentityCommands"]["Value"]["Fn::Sub"]
    assert variables == {"Topic": TOPIC_IN_USE}
    assert "<IDENTITY>" in text
    assert "aws ses set-identity-notification-topic" in text
    assert "--sns-topic ${Topic}" in text
    assert "aws ses set-identity-headers-in-notifications-enabled" in text and "--enabled" in text
    assert re.search(r"for t in Bounce Complaint Delivery; do .*--notification-type \$t", text)
    assert len(text) < 1024


# ------------------------------------------------------------------------------------ samconfig


def test_samconfig_deploys_with_iam_capability_resolved_bucket_and_confirmation() -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
    assert config["version"] == 0.1
    assert config["default"]["global"]["parameters"]["stack_name"] == "ses-feedback-logger"
    build = config["default"]["build"]["parameters"]
    assert build["cached"] is True and build["parallel"] is True
    deploy = config["default"]["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is True
