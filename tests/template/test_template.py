"""Assertions on template.yaml, read as written and as expanded by aws-sam-translator.

Each test checks the deployment property it is named after. The SAM template is loaded with
cfn-lint's YAML decoder (it understands !Ref, !Sub, !If, ...); the expansion comes from
scripts/expand_template.py, the same offline transform scripts/check_template.sh lints.
Where a property depends on parameter values (conditional IAM grants, parameter ARNs), the
template is also evaluated the way CloudFormation would for those values (`_Deployment`).
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
# The feedback group may be in another region (FeedbackLogGroupRegion), so its streams' ARN names the region
# as the Sub variable GroupRegion and the group by its name parameter.
FEEDBACK_STREAMS_ARN = (
    "arn:${AWS::Partition}:logs:${GroupRegion}:${AWS::AccountId}:log-group:${FeedbackLogGroupName}:log-stream:*"
)
GROUP_REGION = {"Fn::If": ["OwnsFeedbackLogGroup", {"Ref": "AWS::Region"}, {"Ref": "FeedbackLogGroupRegion"}]}
FEEDBACK_GROUP_ARNS = {ARN_PREFIX + "${FeedbackLogGroup}", ARN_PREFIX + "${FeedbackLogGroup}:*"}
OWN_STREAMS_ARN = ARN_PREFIX + "${FunctionLogGroup}:log-stream:*"
FAILURE_QUEUE_ARN = {"Fn::GetAtt": ["FailureQueue", "Arn"]}
FEED_QUEUE_ARN = {"Fn::GetAtt": ["FeedbackQueue", "Arn"]}
TOPIC_IN_USE = {"Fn::If": ["NoTopicGiven", {"Ref": "FeedbackTopic"}, {"Ref": "ExistingTopicArn"}]}
FUNCTION_ARN = {"Fn::GetAtt": ["FeedbackFunction", "Arn"]}
FUNCTION_URL = {"Fn::GetAtt": ["FeedbackFunctionUrl", "FunctionUrl"]}

TRIGGERS = ["sns", "sqs", "https", "eventbridge"]
# The condition that holds for each Trigger value.
TRIGGER_CONDITIONS = {"sns": "UseSns", "sqs": "UseSqs", "https": "UseHttps", "eventbridge": "UseEventBridge"}
# Where the stack is, for the conditions that compare an existing topic's ARN with it.
HERE = {"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012"}
LOCAL_TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-feedback"
FOREIGN_TOPICS = {
    "another account": "arn:aws:sns:eu-west-1:210987654321:ses-feedback",
    "another region": "arn:aws:sns:us-east-1:123456789012:ses-feedback",
    "another partition": "arn:aws-cn:sns:cn-north-1:123456789012:ses-feedback",
}

NO_VALUE = {"Ref": "AWS::NoValue"}

# Which resources each action the function's role always holds may touch.
ALLOWED_RESOURCES_BY_ACTION: dict[str, list[Any]] = {
    "logs:CreateLogStream": [FEEDBACK_STREAMS_ARN, OWN_STREAMS_ARN],
    "logs:PutLogEvents": [FEEDBACK_STREAMS_ARN, OWN_STREAMS_ARN],
    "logs:GetLogEvents": [FEEDBACK_STREAMS_ARN],
    "logs:CreateLogGroup": sorted(FEEDBACK_GROUP_ARNS),
    "sqs:SendMessage": [FAILURE_QUEUE_ARN],
}

# The address hashing key parameter's ARN, for a name with ("/ses/hash-key") and without ("my-key") a
# leading slash.
SSM_PARAMETER_ARN_PREFIX = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
HASH_KEY_PARAMETER_ARN = {
    "Fn::If": [
        "AddressHashKeyParameterIsPath",
        {"Fn::Sub": SSM_PARAMETER_ARN_PREFIX + "${AddressHashKeyParameter}"},
        {"Fn::Sub": SSM_PARAMETER_ARN_PREFIX + "/${AddressHashKeyParameter}"},
    ]
}
ACCOUNT_KMS_KEYS_ARN = "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"
HASH_KEY_KMS_KEY = {
    "Fn::If": ["HasAddressHashKeyKmsKey", {"Ref": "AddressHashKeyKmsKeyArn"}, {"Fn::Sub": ACCOUNT_KMS_KEYS_ARN}]
}
SSM_IN_THIS_REGION = {"Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"}

# Grants present only under a condition: condition -> action -> the one resource it may touch.
CONDITIONAL_GRANTS: dict[str, dict[str, Any]] = {
    "SuppressionOn": {"ses:PutSuppressedDestination": "*"},
    "HasAddressHashKeyParameter": {"ssm:GetParameter": HASH_KEY_PARAMETER_ARN, "kms:Decrypt": HASH_KEY_KMS_KEY},
    # What the event source mapping does with the function's role (Trigger sqs), on the feed queue only.
    "UseSqs": {
        "sqs:ReceiveMessage": FEED_QUEUE_ARN,
        "sqs:DeleteMessage": FEED_QUEUE_ARN,
        "sqs:GetQueueAttributes": FEED_QUEUE_ARN,
    },
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


def _policies(role: dict[str, Any]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """(condition, policy) per inline policy: None for an unconditional one, the condition's name for
    `Fn::If [Condition, policy, AWS::NoValue]`."""
    for policy in role["Properties"].get("Policies", []):
        if set(policy) == {"Fn::If"}:
            condition, present, absent = policy["Fn::If"]
            assert absent == NO_VALUE, f"a conditional policy must be absent otherwise: {policy}"
            yield condition, present
        else:
            yield None, policy


def _policy_statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """The policy's statements; one under `Fn::If [Condition, statement, AWS::NoValue]` as the statement."""
    statements = policy["PolicyDocument"]["Statement"]
    statements = statements if isinstance(statements, list) else [statements]
    unwrapped = []
    for statement in statements:
        if set(statement) == {"Fn::If"}:
            _condition, statement, absent = statement["Fn::If"]
            assert absent == NO_VALUE, f"a conditional statement must be absent otherwise: {statement}"
        unwrapped.append(statement)
    return unwrapped


def _statements(role: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The statements of the role's unconditional policies (every policy, once a `_Deployment` resolved it)."""
    for condition, policy in _policies(role):
        if condition is None:
            yield from _policy_statements(policy)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _sub_text(value: Any) -> Any:
    """The text of a !Sub (either form), or the value itself."""
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return value["Fn::Sub"]
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], list):
        return value["Fn::Sub"][0]
    return value


PSEUDO_PARAMETERS = {"AWS::AccountId", "AWS::Partition", "AWS::Region", "AWS::StackName", "AWS::URLSuffix"}
_ABSENT = object()


class _Deployment:
    """A template evaluated the way CloudFormation evaluates it for some parameter values.

    Parameters (defaults, overridden by keyword), conditions, Fn::If (AWS::NoValue removes the item),
    Fn::Equals/Not/And/Or, Fn::Select, Fn::Split, Fn::Join and the rule function Fn::Contains are
    evaluated and parameters are substituted into Fn::Sub. References to resources and pseudo
    parameters stay `${Name}` text, so an ARN compares equal to its Fn::Sub form in the template;
    `pseudo` gives pseudo parameters values instead (e.g. HERE), for conditions that compare with them.
    """

    def __init__(self, tpl: dict[str, Any], pseudo: dict[str, str] | None = None, **parameters: Any) -> None:
        unknown = set(parameters) - set(tpl["Parameters"])
        assert not unknown, f"no such parameters: {unknown}"
        self.tpl = tpl
        self.pseudo = dict(pseudo or {})
        self.parameters = {name: p.get("Default") for name, p in tpl["Parameters"].items()}
        self.parameters.update(parameters)
        for name, p in tpl["Parameters"].items():
            if p["Type"] == "CommaDelimitedList" and isinstance(self.parameters[name], str):
                self.parameters[name] = self.parameters[name].split(",")
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self.tpl["Conditions"][name]))
        return self._conditions[name]

    def resource(self, name: str) -> Any:
        """The resource as deployed, or None when its condition leaves it out."""
        resource = self.tpl["Resources"][name]
        if "Condition" in resource and not self.condition(resource["Condition"]):
            return None
        return self.resolve(resource)

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], self.resolve(argument[1]))

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if name in self.parameters:
                return str(self.parameters[name])
            if name in self.pseudo:
                return self.pseudo[name]
            return match.group(0)

        # ${!Literal} is how Fn::Sub writes a literal ${Literal}.
        return re.sub(r"\$\{([^}!][^}]*)\}", value, text).replace("${!", "${")

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not _ABSENT]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Ref":
                if argument == "AWS::NoValue":
                    return _ABSENT
                if argument in self.parameters:
                    return self.parameters[argument]
                return self.pseudo.get(argument, "${" + argument + "}")
            if key == "Fn::GetAtt":
                return "${" + (argument if isinstance(argument, str) else ".".join(argument)) + "}"
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::If":
                condition, when_true, when_false = argument
                return self.resolve(when_true if self.condition(condition) else when_false)
            if key == "Condition" and isinstance(argument, str):
                return self.condition(argument)
            if key == "Fn::Equals":
                left, right = (self.resolve(item) for item in argument)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(argument[0])
            if key == "Fn::And":
                return all(self.resolve(item) for item in argument)
            if key == "Fn::Or":
                return any(self.resolve(item) for item in argument)
            if key == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                delimiter, text = argument
                return self.resolve(text).split(delimiter)
            if key == "Fn::Join":
                delimiter, items = argument
                return delimiter.join(str(item) for item in self.resolve(items))
            if key == "Fn::Contains":
                items, value = argument
                return str(self.resolve(value)) in [str(item) for item in self.resolve(items)]
        items = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in items.items() if value is not _ABSENT}


    def rule_violations(self) -> list[str]:
        """The AssertDescription of every assertion of the template's Rules that these values break."""
        broken = []
        for rule in self.tpl.get("Rules", {}).values():
            if "RuleCondition" in rule and not self.resolve(rule["RuleCondition"]):
                continue
            broken += [a.get("AssertDescription", "") for a in rule["Assertions"] if not self.resolve(a["Assert"])]
        return broken

    def resources(self) -> dict[str, Any]:
        """Every resource as deployed, by logical ID (those whose condition leaves them out are absent)."""
        deployed = {name: self.resource(name) for name in self.tpl["Resources"]}
        return {name: resource for name, resource in deployed.items() if resource is not None}

    def resources_as_template(self) -> dict[str, Any]:
        """The deployed resources in a template's shape, for the helpers that take one."""
        return {"Resources": self.resources()}

    def outputs(self) -> set[str]:
        return {
            name for name, output in self.tpl["Outputs"].items()
            if "Condition" not in output or self.condition(output["Condition"])
        }


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping inside node, node included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nodes(item)


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
    # The group's Ref where the stack owns it (the function then waits for it), its name otherwise.
    assert env["LOG_GROUP_NAME"] == {
        "Fn::If": ["OwnsFeedbackLogGroup", {"Ref": "FeedbackLogGroup"}, {"Ref": "FeedbackLogGroupName"}]
    }
    assert env["LOG_GROUP_REGION"] == {"Ref": "FeedbackLogGroupRegion"}
    assert env["LOG_FORMAT"] == {"Ref": "LogFormat"}
    # CreateTopic, not NoTopicGiven: the function exists with every trigger, the topic not with eventbridge.
    assert env["ALLOWED_TOPIC_ARNS"] == {"Fn::If": ["CreateTopic", {"Ref": "FeedbackTopic"}, {"Ref": "ExistingTopicArn"}]}
    log_format = template["Parameters"]["LogFormat"]
    assert log_format["AllowedValues"] == ["json", "plain"]
    assert log_format["Default"] == "json"


# ------------------------------------------------------------------------------------ least privilege


def test_function_role_holds_only_the_needed_actions_on_their_own_resources(expanded: dict[str, Any]) -> None:
    role = _function_role(expanded)
    assert not role["Properties"].get("ManagedPolicyArns"), "managed policies grant logs:* on every group"
    seen_actions = set()
    seen_conditional: dict[str, set[str]] = {}
    for condition, policy in _policies(role):
        for statement in _policy_statements(policy):
            assert statement["Effect"] == "Allow"
            assert "NotAction" not in statement and "NotResource" not in statement
            resources = [_sub_text(r) for r in _as_list(statement["Resource"])]
            for action in _as_list(statement["Action"]):
                if condition is None:
                    assert action in ALLOWED_RESOURCES_BY_ACTION, f"unexpected action {action}"
                    seen_actions.add(action)
                    for resource in resources:
                        assert resource in ALLOWED_RESOURCES_BY_ACTION[action], f"{action} on {resource}"
                else:
                    assert action in CONDITIONAL_GRANTS.get(condition, {}), f"unexpected {action} under {condition}"
                    seen_conditional.setdefault(condition, set()).add(action)
                    assert resources == [CONDITIONAL_GRANTS[condition][action]], f"{action} on {resources}"
    assert seen_actions == set(ALLOWED_RESOURCES_BY_ACTION)
    assert seen_conditional == {condition: set(grants) for condition, grants in CONDITIONAL_GRANTS.items()}


def test_function_may_write_only_to_the_feedback_group_streams(expanded: dict[str, Any]) -> None:
    """The feedback write permissions name the feedback group by its name, in its region."""
    feedback_grants = [
        (action, _sub_text(resource), resource["Fn::Sub"][1])
        for statement in _statements(_function_role(expanded))
        for action in _as_list(statement["Action"])
        for resource in _as_list(statement["Resource"])
        if "${FeedbackLogGroupName}" in str(_sub_text(resource))
    ]
    where = {"GroupRegion": GROUP_REGION}
    assert ("logs:CreateLogStream", FEEDBACK_STREAMS_ARN, where) in feedback_grants
    assert ("logs:PutLogEvents", FEEDBACK_STREAMS_ARN, where) in feedback_grants
    assert ("logs:GetLogEvents", FEEDBACK_STREAMS_ARN, where) in feedback_grants
    assert len(feedback_grants) == 3
    group = expanded["Resources"]["FeedbackLogGroup"]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["LogGroupName"] == {"Ref": "FeedbackLogGroupName"}


DEPLOYMENTS = {
    # name: parameter values
    "defaults": {},
    "suppress hard": {"Suppress": "hard"},
    "suppress hard and complaints": {"Suppress": "hard-and-complaints"},
    "hash key under aws/ssm": {"AddressHashKeyParameter": "/ses/hash-key"},
    "hash key under own key": {
        "AddressHashKeyParameter": "ses-hash-key",
        "AddressHashKeyKmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    },
    "everything on": {"Suppress": "hard-and-complaints", "AddressHashKeyParameter": "/ses/hash-key"},
    "trigger sqs": {"Trigger": "sqs"},
    "trigger https": {"Trigger": "https"},
    "trigger eventbridge": {"Trigger": "eventbridge"},
    "masked": {"FeedbackLogMasking": "on", "FeedbackLogMaskingFindingsLogGroup": "ses-feedback-findings"},
    "infrequent access": {"FeedbackLogGroupClass": "INFREQUENT_ACCESS"},
}


def _role_name(tpl: dict[str, Any]) -> str:
    _function_role(tpl)  # checks the role is this stack's
    return _function(tpl)["Properties"]["Role"]["Fn::GetAtt"][0]


def _statement_by_action(role: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {action: s for s in _statements(role) for action in _as_list(s["Action"])}


def _resolved_role(tpl: dict[str, Any], **parameters: Any) -> dict[str, Any]:
    """The function's role as deployed with these parameter values."""
    return _Deployment(tpl, **parameters).resource(_role_name(tpl))


@pytest.mark.parametrize("deployment", sorted(DEPLOYMENTS))
def test_no_wildcard_in_function_role_except_log_suffixes_and_the_two_justified_statements(
    expanded: dict[str, Any], deployment: str
) -> None:
    """Besides log-stream suffixes, a wildcard is allowed in exactly two statements, each only when its
    parameter asks for it: ses:PutSuppressedDestination on "*" (the account-level suppression list has
    no ARN) with Suppress on, and kms:Decrypt on this account's keys, only through SSM and only for the
    hash key parameter, when that parameter is set without its KMS key."""
    parameters = DEPLOYMENTS[deployment]
    role = _resolved_role(expanded, **parameters)
    log_suffixes = {ARN_PREFIX + "ses-feedback:log-stream:*", OWN_STREAMS_ARN, ARN_PREFIX + "${FeedbackLogGroup}:*"}
    suppression_on = parameters.get("Suppress", "off") != "off"
    hash_key_parameter = parameters.get("AddressHashKeyParameter", "")
    account_keys_expected = bool(hash_key_parameter) and not parameters.get("AddressHashKeyKmsKeyArn")
    star_statements, key_wildcard_statements = [], []
    for statement in _statements(role):
        for action in _as_list(statement["Action"]):
            assert "*" not in action
        for resource in _as_list(statement["Resource"]):
            if "*" not in resource or resource in log_suffixes:
                continue
            if resource == "*":
                star_statements.append(statement)
            elif resource == ACCOUNT_KMS_KEYS_ARN:
                key_wildcard_statements.append(statement)
            else:
                pytest.fail(f"wildcard in the function's IAM policy: {resource!r}")
        for text in _strings(statement.get("Condition", {})):
            assert "*" not in text, f"wildcard in a condition: {text!r}"
    if suppression_on:
        assert [s["Action"] for s in star_statements] == ["ses:PutSuppressedDestination"]
        assert star_statements[0]["Condition"] == {"StringEquals": {"aws:RequestedRegion": "${AWS::Region}"}}
    else:
        assert star_statements == []
    if account_keys_expected:
        assert [s["Action"] for s in key_wildcard_statements] == ["kms:Decrypt"]
        conditions = key_wildcard_statements[0]["Condition"]["StringEquals"]
        assert conditions["kms:ViaService"] == "ssm.${AWS::Region}.amazonaws.com"
        assert conditions["kms:EncryptionContext:PARAMETER_ARN"] == SSM_PARAMETER_ARN_PREFIX + hash_key_parameter
    else:
        assert key_wildcard_statements == []


def test_only_the_function_role_and_the_archives_two_and_no_other_iam_policy_in_the_expansion(
    expanded: dict[str, Any]
) -> None:
    """The function's role always; the archive's two roles only with ArchiveToS3 (tested in the archive section)."""
    roles = _resources_of_type(expanded, "AWS::IAM::Role")
    assert sorted(roles) == sorted(["FeedbackFunctionRole", *ARCHIVE_ROLES])
    assert "Condition" not in roles["FeedbackFunctionRole"]
    assert all(roles[name]["Condition"] == "ArchiveOn" for name in ARCHIVE_ROLES)
    assert list(_resources_of_type(_Deployment(expanded).resources_as_template(), "AWS::IAM::Role")) == [
        "FeedbackFunctionRole"
    ]
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User"):
        assert not _resources_of_type(expanded, kind)


# ------------------------------------------------------------------------------------ suppression


def test_suppress_parameter_is_off_by_default_and_reaches_the_function_as_SUPPRESS(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["Suppress"]
    assert parameter["Type"] == "String"
    assert parameter["AllowedValues"] == ["off", "hard", "hard-and-complaints"]
    assert parameter["Default"] == "off"
    assert _function(template)["Properties"]["Environment"]["Variables"]["SUPPRESS"] == {"Ref": "Suppress"}


@pytest.mark.parametrize("value, on", [("off", False), ("hard", True), ("hard-and-complaints", True)])
def test_suppression_on_condition_is_true_exactly_when_suppress_is_not_off(
    template: dict[str, Any], value: str, on: bool
) -> None:
    assert template["Conditions"]["SuppressionOn"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "Suppress"}, "off"]}]}
    assert _Deployment(template, Suppress=value).condition("SuppressionOn") is on


@pytest.mark.parametrize("source", ["template", "expanded"])
def test_put_suppressed_destination_is_granted_only_under_suppression_on(
    request: pytest.FixtureRequest, source: str
) -> None:
    tpl = request.getfixturevalue(source)
    role = _function_role(tpl)
    granting = [
        policy
        for policy in role["Properties"]["Policies"]
        if "ses:PutSuppressedDestination" in json.dumps(policy)
    ]
    assert len(granting) == 1, "exactly one policy may grant ses:PutSuppressedDestination"
    (policy,) = granting
    assert list(policy) == ["Fn::If"], "the suppression grant must be conditional"
    condition, present, absent = policy["Fn::If"]
    assert (condition, absent) == ("SuppressionOn", NO_VALUE)
    (statement,) = _policy_statements(present)
    assert statement["Action"] == "ses:PutSuppressedDestination"
    assert statement["Resource"] == "*"
    assert statement["Condition"] == {
        "StringEquals": {
            "aws:RequestedRegion": {
                "Fn::If": ["HasSuppressRegions", {"Fn::Split": [",", {"Ref": "SuppressRegions"}]}, {"Ref": "AWS::Region"}]
            }
        }
    }
    for value, expected in (("off", 0), ("hard", 1), ("hard-and-complaints", 1)):
        granted = [
            s for s in _statements(_resolved_role(tpl, Suppress=value))
            if "ses:PutSuppressedDestination" in _as_list(s["Action"])
        ]
        assert len(granted) == expected, f"Suppress={value}"
    for text in _strings(_resolved_role(tpl, Suppress="off")):
        assert not text.startswith("ses:"), f"Suppress=off still grants {text}"


# ------------------------------------------------------------------------------------ address hashing key


def test_address_hash_key_parameter_is_optional_and_reaches_the_function(template: dict[str, Any]) -> None:
    params = template["Parameters"]
    assert params["AddressHashKeyParameter"]["Default"] == ""
    assert params["AddressHashKeyKmsKeyArn"]["Default"] == ""
    env = _function(template)["Properties"]["Environment"]["Variables"]
    assert env["ADDRESS_HASH_KEY_PARAMETER"] == {"Ref": "AddressHashKeyParameter"}
    assert "ADDRESS_HASH_KEY" not in env, "the key itself must not sit in the function's configuration"
    pattern = params["AddressHashKeyParameter"]["AllowedPattern"]
    for good in ("", "my-key", "ses.hash_key-1", "/ses/hash-key", "/a/b/c"):
        assert re.fullmatch(pattern, good), good
    arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/k"
    for bad in ("ses/hash-key", "/ses//hash-key", "/ses/", "/", "has space", arn):
        assert not re.fullmatch(pattern, bad), bad


@pytest.mark.parametrize("name, is_path", [("/ses/hash-key", True), ("/k", True), ("my-key", False), ("", False)])
def test_hash_key_parameter_path_condition_tells_names_with_a_leading_slash_and_never_selects_from_nothing(
    template: dict[str, Any], name: str, is_path: bool
) -> None:
    deployment = _Deployment(template, AddressHashKeyParameter=name)
    assert deployment.condition("AddressHashKeyParameterIsPath") is is_path
    # CloudFormation evaluates every condition on every deploy: the Fn::Select must find element 0
    # even for the default, empty name, so the string it splits must never be empty.
    condition = template["Conditions"]["AddressHashKeyParameterIsPath"]
    (split,) = [node["Fn::Split"] for node in _nodes(condition) if "Fn::Split" in node]
    assert deployment.resolve(split[1]) != ""


@pytest.mark.parametrize("source", ["template", "expanded"])
def test_hash_key_grants_are_conditional_on_the_parameter(request: pytest.FixtureRequest, source: str) -> None:
    tpl = request.getfixturevalue(source)
    role = _function_role(tpl)
    granting = [p for p in role["Properties"]["Policies"] if re.search(r'"(ssm|kms):', json.dumps(p))]
    assert len(granting) == 1
    assert list(granting[0]) == ["Fn::If"]
    condition, present, absent = granting[0]["Fn::If"]
    assert (condition, absent) == ("HasAddressHashKeyParameter", NO_VALUE)
    assert tpl["Conditions"]["HasAddressHashKeyParameter"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AddressHashKeyParameter"}, ""]}]
    }
    statements = {s["Action"]: s for s in _policy_statements(present)}
    assert set(statements) == {"ssm:GetParameter", "kms:Decrypt"}
    assert statements["ssm:GetParameter"]["Resource"] == HASH_KEY_PARAMETER_ARN
    assert statements["kms:Decrypt"]["Resource"] == HASH_KEY_KMS_KEY
    assert statements["kms:Decrypt"]["Condition"] == {
        "StringEquals": {
            "kms:ViaService": SSM_IN_THIS_REGION,
            "kms:EncryptionContext:PARAMETER_ARN": HASH_KEY_PARAMETER_ARN,
        }
    }
    for text in _strings(_resolved_role(tpl)):
        assert not text.startswith(("ssm:", "kms:")), f"without a hash key parameter the role still has {text}"


@pytest.mark.parametrize("source", ["template", "expanded"])
@pytest.mark.parametrize(
    "name, arn",
    [
        ("/ses/hash-key", SSM_PARAMETER_ARN_PREFIX + "/ses/hash-key"),
        ("/hash-key", SSM_PARAMETER_ARN_PREFIX + "/hash-key"),
        ("ses-hash-key", SSM_PARAMETER_ARN_PREFIX + "/ses-hash-key"),
    ],
)
def test_hash_key_grants_name_exactly_the_parameter_with_or_without_a_leading_slash(
    request: pytest.FixtureRequest, source: str, name: str, arn: str
) -> None:
    tpl = request.getfixturevalue(source)
    statements = _statement_by_action(_resolved_role(tpl, AddressHashKeyParameter=name))
    assert statements["ssm:GetParameter"]["Resource"] == arn
    decrypt = statements["kms:Decrypt"]
    assert decrypt["Resource"] == ACCOUNT_KMS_KEYS_ARN
    assert decrypt["Condition"]["StringEquals"] == {
        "kms:ViaService": "ssm.${AWS::Region}.amazonaws.com",
        "kms:EncryptionContext:PARAMETER_ARN": arn,
    }
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    with_key = _statement_by_action(_resolved_role(tpl, AddressHashKeyParameter=name, AddressHashKeyKmsKeyArn=key))
    assert with_key["kms:Decrypt"]["Resource"] == key
    assert with_key["kms:Decrypt"]["Condition"] == decrypt["Condition"]


# ------------------------------------------------------------------------------------ metrics namespace


def test_metrics_namespace_parameter_reaches_the_function_and_accepts_only_valid_namespaces(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["MetricsNamespace"]
    assert parameter["Default"] == "SesFeedbackLogger"
    env = _function(template)["Properties"]["Environment"]["Variables"]
    assert env["METRICS_NAMESPACE"] == {"Ref": "MetricsNamespace"}
    pattern = parameter["AllowedPattern"]
    for good in ("SesFeedbackLogger", "Mail/SES Feedback", "team.mail-ses_1#prod:eu", "x" * 255):
        assert re.fullmatch(pattern, good), good
    # Reserved, empty, blank, too long, and anything that would break the dashboard's JSON or SEARCH quoting.
    for bad in ("AWS/SES", ":x", "", "   ", "x" * 256, 'a"b', "a'b", "a\\b", "a{b}", "é"):
        assert not re.fullmatch(pattern, bad), bad


# ------------------------------------------------------------------------------------ dashboard

EMF_TOTALS = {
    "Records", "Unrecognized", "Refused", "Duplicates", "SetupMessages", "SuppressionsMade",
    "SuppressionFailures", "WriteFailures",
}
EMF_BY_DIMENSION = {
    ("Events", "NotificationType"), ("Bounces", "EffectiveBounceType"), ("Bounces", "Reason"),
    ("Complaints", "ComplaintFeedbackType"), ("Delays", "DelayType"),
}
NAMESPACE = "<MetricsNamespace>"
SEARCH_RE = re.compile(r"""SEARCH\('\{"<MetricsNamespace>",(\w+)\} MetricName="(\w+)"', 'Sum', 300\)""")


def _dashboard_sub(tpl: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The body's Fn::Sub: its text, and its variables (the parts that depend on Trigger)."""
    dashboards = _resources_of_type(tpl, "AWS::CloudWatch::Dashboard")
    assert list(dashboards) == ["FeedbackDashboard"]
    body = dashboards["FeedbackDashboard"]["Properties"]["DashboardBody"]
    assert list(body) == ["Fn::Sub"]
    if isinstance(body["Fn::Sub"], str):
        return body["Fn::Sub"], {}
    text, variables = body["Fn::Sub"]
    assert isinstance(text, str) and isinstance(variables, dict)
    return text, variables


def _dashboard_body_text(tpl: dict[str, Any], **parameters: Any) -> str:
    """The body's text with its variables in place for these parameter values (defaults: Trigger sns);
    the ${X} of parameters, pseudo parameters and resources are left as they are."""
    text, variables = _dashboard_sub(tpl)
    values = _Deployment(tpl, **parameters).resolve(variables)
    return re.sub(r"\$\{([^}!][^}]*)\}", lambda m: str(values.get(m.group(1), m.group(0))), text)


def _dashboard(tpl: dict[str, Any], **parameters: Any) -> dict[str, Any]:
    """The dashboard body for these parameter values with every ${X} replaced by "<X>", parsed."""
    return json.loads(re.sub(r"\$\{([^}]+)\}", r"<\1>", _dashboard_body_text(tpl, **parameters)))


# What CloudFormation substitutes for the body's other placeholders on a deploy.
SAMPLE_VALUES = {
    "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws",
    "AWS::StackName": "ses-feedback-logger", "FeedbackLogGroup": "ses-feedback",
    "FailureQueue.QueueName": "ses-feedback-logger-FailureQueue-AbC123",
    "FeedbackFunction": "ses-feedback-logger-FeedbackFunction-AbC123",
}


def _rendered_dashboard(tpl: dict[str, Any], **parameters: Any) -> dict[str, Any]:
    """The body as CloudFormation renders it for these parameter values, parsed."""
    text = _Deployment(tpl, **parameters)._sub(_dashboard_body_text(tpl, **parameters))
    def sample(match: re.Match[str]) -> str:  # e.g. an alarm's generated name
        return SAMPLE_VALUES.get(match.group(1), f"ses-feedback-logger-{match.group(1)}-AbC123")

    text = re.sub(r"\$\{([^}]+)\}", sample, text)
    return json.loads(text)


def _widgets(tpl: dict[str, Any], kind: str = "metric", **parameters: Any) -> list[dict[str, Any]]:
    return [w for w in _dashboard(tpl, **parameters)["widgets"] if w["type"] == kind]


def _metric_rows(widget: dict[str, Any]) -> list[list[Any]]:
    return widget["properties"]["metrics"]


def _metric_ids(widget: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(namespace, metric, dimension name, dimension value, ...) of each plain metric row."""
    return [tuple(x for x in row if not isinstance(x, dict)) for row in _metric_rows(widget) if isinstance(row[0], str)]


def _expressions(widget: dict[str, Any]) -> list[dict[str, Any]]:
    return [row[0] for row in _metric_rows(widget) if isinstance(row[0], dict) and "expression" in row[0]]


def _widget_with(tpl: dict[str, Any], metric_id: tuple[Any, ...], **parameters: Any) -> dict[str, Any]:
    found = [
        w for w in _widgets(tpl, **parameters) if any(m[: len(metric_id)] == metric_id for m in _metric_ids(w))
    ]
    assert len(found) == 1, f"expected one widget graphing {metric_id}, found {len(found)}"
    return found[0]


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("source", ["template", "expanded"])
def test_dashboard_body_is_valid_json_whose_placeholders_all_resolve(
    request: pytest.FixtureRequest, source: str, trigger: str
) -> None:
    """Every ${X} names a parameter, a pseudo parameter, a Sub variable or a resource that exists with
    this Trigger (CloudFormation refuses a Sub naming a resource its condition left out)."""
    tpl = request.getfixturevalue(source)
    raw_text, variables = _dashboard_sub(tpl)
    for name in set(re.findall(r"\$\{([^}]+)\}", raw_text)):
        resource = name.split(".")[0]
        known = name in tpl["Parameters"] or name in PSEUDO_PARAMETERS or name in variables
        assert known or resource in tpl["Resources"], name
    deployed = _Deployment(tpl, Trigger=trigger).resources()
    text = _dashboard_body_text(tpl, Trigger=trigger)
    placeholders = set(re.findall(r"\$\{([^}]+)\}", text))
    assert placeholders, "the body should name this stack's resources"
    for name in placeholders:
        resource = name.split(".")[0]
        assert name in tpl["Parameters"] or name in PSEUDO_PARAMETERS or resource in deployed, name
    json.loads(re.sub(r"\$\{([^}]+)\}", "x", text))
    assert "MetricsNamespace" in placeholders and "SesFeedbackLogger" not in text, "graph the configured namespace"
    for namespace in ("SesFeedbackLogger", "Mail/SES Feedback #2"):
        body = _rendered_dashboard(tpl, MetricsNamespace=namespace)
        rows = [row for w in body["widgets"] if w["type"] == "metric" for row in w["properties"]["metrics"]]
        assert [namespace, "Records", {"label": "SNS records"}] in rows
        expressions = [str(row[0].get("expression")) for row in rows if isinstance(row[0], dict)]
        assert any(f'{{"{namespace}",Reason}}' in expression for expression in expressions)
    dashboard = _dashboard(tpl)
    assert [w["type"] for w in dashboard["widgets"]].count("metric") >= 10
    for widget in dashboard["widgets"]:
        assert {"type", "x", "y", "width", "height", "properties"} <= set(widget)
        assert 0 <= widget["x"] and widget["x"] + widget["width"] <= 24, widget["properties"].get("title")
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "<AWS::Region>"
            assert widget["properties"]["title"]


def test_dashboard_widgets_do_not_overlap(template: dict[str, Any]) -> None:
    cells: dict[tuple[int, int], str] = {}
    for widget in _dashboard(template)["widgets"]:
        title = widget["properties"].get("title", widget["type"])
        for x in range(widget["x"], widget["x"] + widget["width"]):
            for y in range(widget["y"], widget["y"] + widget["height"]):
                assert (x, y) not in cells, f"{title} overlaps {cells[(x, y)]}"
                cells[(x, y)] = title


@pytest.mark.parametrize(
    "metric, lines",
    [("Reputation.BounceRate", {2, 5, 10}), ("Reputation.ComplaintRate", {0.1, 0.5})],
)
def test_dashboard_shows_ses_reputation_in_percent_with_its_review_lines(
    template: dict[str, Any], metric: str, lines: set[float]
) -> None:
    widget = _widget_with(template, ("AWS/SES", metric))
    (row,) = [r for r in _metric_rows(widget) if r[:2] == ["AWS/SES", metric]]
    raw = row[-1]
    assert raw["stat"] == "Maximum" and raw["visible"] is False
    (percent,) = _expressions(widget)
    assert percent["expression"] == f"100 * {raw['id']}", "the lines are percent: graph the rate in percent too"
    annotations = widget["properties"]["annotations"]["horizontal"]
    assert {a["value"] for a in annotations} == lines
    assert all(a["label"] for a in annotations)


def test_dashboard_bounce_rate_lines_match_the_alarm(template: dict[str, Any]) -> None:
    widget = _widget_with(template, ("AWS/SES", "Reputation.BounceRate"))
    values = {a["value"] for a in widget["properties"]["annotations"]["horizontal"]}
    threshold = float(template["Resources"]["SesBounceRateAlarm"]["Properties"]["Threshold"])
    assert threshold * 100 in values


def test_dashboard_graphs_the_failure_queue_depth(template: dict[str, Any]) -> None:
    widget = _widget_with(template, ("AWS/SQS", "ApproximateNumberOfMessagesVisible"))
    depth = [m for m in _metric_ids(widget) if m[1] == "ApproximateNumberOfMessagesVisible"]
    assert depth == [("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "<FailureQueue.QueueName>")]
    (row,) = [r for r in _metric_rows(widget) if r[1] == "ApproximateNumberOfMessagesVisible"]
    assert row[-1]["stat"] == "Maximum"


def test_dashboard_graphs_every_embedded_metric_of_the_function(template: dict[str, Any]) -> None:
    plain: set[tuple[Any, ...]] = set()
    searched: set[tuple[str, str]] = set()
    for widget in _widgets(template):
        plain.update(m for m in _metric_ids(widget) if m[0] == NAMESPACE)
        for expression in _expressions(widget):
            searched.update((metric, dimension) for dimension, metric in SEARCH_RE.findall(expression["expression"]))
    assert EMF_TOTALS <= {m[1] for m in plain if len(m) == 2}
    by_dimension = searched | {(m[1], m[2]) for m in plain if len(m) == 4}
    assert EMF_BY_DIMENSION <= by_dimension
    effective = {m[3] for m in plain if len(m) == 4 and m[1:3] == ("Bounces", "EffectiveBounceType")}
    assert effective == {"Permanent", "Transient", "Undetermined", "Other", "None"}


def test_dashboard_shows_top_bounce_reasons_with_a_search_so_new_reasons_appear(template: dict[str, Any]) -> None:
    reason_expressions = [
        e["expression"]
        for w in _widgets(template)
        for e in _expressions(w)
        if ("Reason", "Bounces") in SEARCH_RE.findall(e["expression"])
    ]
    assert reason_expressions == [
        "SORT(SEARCH('{\"<MetricsNamespace>\",Reason} MetricName=\"Bounces\"', 'Sum', 300), SUM, DESC, 10)"
    ]


def test_dashboard_graphs_function_errors_and_duration_against_its_timeout(template: dict[str, Any]) -> None:
    errors = _widget_with(template, ("AWS/Lambda", "Errors"))
    assert ("AWS/Lambda", "Errors", "FunctionName", "<FeedbackFunction>") in _metric_ids(errors)
    duration = _widget_with(template, ("AWS/Lambda", "Duration"))
    assert {m[2:] for m in _metric_ids(duration)} == {("FunctionName", "<FeedbackFunction>")}
    timeout_ms = _function(template)["Properties"]["Timeout"] * 1000
    assert timeout_ms in {a["value"] for a in duration["properties"]["annotations"]["horizontal"]}


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_dashboard_alarm_widget_shows_every_alarm_of_the_stack(template: dict[str, Any], trigger: str) -> None:
    (widget,) = _widgets(template, "alarm", Trigger=trigger)
    shown = {arn.rsplit(":alarm:", 1)[1] for arn in widget["properties"]["alarms"]}
    deployed = _Deployment(template, Trigger=trigger).resources()
    alarms = [name for name in _resources_of_type(template, "AWS::CloudWatch::Alarm") if name in deployed]
    assert shown == {f"<{name}>" for name in alarms}
    assert ("<FeedbackQueueBacklogAlarm>" in shown) == (trigger == "sqs")
    for arn in widget["properties"]["alarms"]:
        assert arn.startswith("arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:")


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_dashboard_graphs_the_feed_queue_only_with_sqs(template: dict[str, Any], trigger: str) -> None:
    widget = _widget_with(template, ("AWS/SQS", "ApproximateNumberOfMessagesVisible"), Trigger=trigger)
    feed_rows = [m for m in _metric_ids(widget) if m[2:] == ("QueueName", "<FeedbackQueue.QueueName>")]
    if trigger == "sqs":
        assert {m[1] for m in feed_rows} == {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"}
    else:
        assert feed_rows == []
    failure_rows = [m for m in _metric_ids(widget) if m[2:] == ("QueueName", "<FailureQueue.QueueName>")]
    assert len(failure_rows) == 2, "the failure queue is graphed with every Trigger"


def test_dashboard_url_output_opens_the_dashboard_in_the_stack_region(template: dict[str, Any]) -> None:
    url = template["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"]
    assert url.startswith("https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}#")
    assert url.endswith("#dashboards/dashboard/${FeedbackDashboard}")
    # Dashboard names are global to the account, so a stack of the same name in another region needs another.
    name = template["Resources"]["FeedbackDashboard"]["Properties"]["DashboardName"]
    assert name == {"Fn::Sub": "${AWS::StackName}-${AWS::Region}"}


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
    assert template["Conditions"]["NoTopicGiven"] == {"Fn::Equals": [{"Ref": "ExistingTopicArn"}, ""]}
    assert template["Conditions"]["CreateTopic"] == {"Fn::And": [{"Condition": "NoTopicGiven"}, {"Condition": "UsesTopic"}]}
    for trigger in ("sns", "sqs", "https"):
        assert _Deployment(template, Trigger=trigger).resource("FeedbackTopic") is not None
        given = _Deployment(template, Trigger=trigger, ExistingTopicArn=LOCAL_TOPIC)
        assert given.resource("FeedbackTopic") is None
    assert template["Resources"]["FeedbackTopic"]["Condition"] == "CreateTopic"
    assert template["Resources"]["FeedbackTopicPolicy"]["Condition"] == "CreateTopic"


def test_created_topic_signs_with_sha256(template: dict[str, Any]) -> None:
    assert template["Resources"]["FeedbackTopic"]["Properties"]["SignatureVersion"] == "2"


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


def test_function_has_no_sam_events_so_that_each_way_in_can_be_conditional(template: dict[str, Any]) -> None:
    # SAM does not take a Condition on one event of a function: every way in is a resource of its own.
    assert "Events" not in _function(template)["Properties"]


@pytest.mark.parametrize("topic", ["", LOCAL_TOPIC])
@pytest.mark.parametrize("source", ["template", "expanded"])
def test_sns_trigger_subscribes_the_function_to_the_topic_in_use(
    request: pytest.FixtureRequest, source: str, topic: str
) -> None:
    tpl = request.getfixturevalue(source)
    in_use = topic or "${FeedbackTopic}"
    deployed = _Deployment(tpl, Trigger="sns", ExistingTopicArn=topic).resources()
    subscriptions = [
        r["Properties"] for r in deployed.values()
        if r["Type"] == "AWS::SNS::Subscription" and r["Properties"]["Protocol"] != "email"
    ]
    assert subscriptions == [{"TopicArn": in_use, "Protocol": "lambda", "Endpoint": "${FeedbackFunction.Arn}"}]
    permissions = [r["Properties"] for r in deployed.values() if r["Type"] == "AWS::Lambda::Permission"]
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": "${FeedbackFunction}",
            "Principal": "sns.amazonaws.com",
            "SourceArn": in_use,
        }
    ]


def test_sns_way_in_keeps_the_logical_ids_sams_event_gave_it(template: dict[str, Any]) -> None:
    """A stack deployed when the SNS subscription was the function's SAM event keeps it untouched: a new
    logical ID would subscribe the same endpoint again (SNS returns the existing subscription) and then
    delete it along with the old resource."""
    resources = template["Resources"]
    subscription = resources["FeedbackFunctionSesFeedback"]
    permission = resources["FeedbackFunctionSesFeedbackPermission"]
    assert (subscription["Type"], subscription["Condition"]) == ("AWS::SNS::Subscription", "UseSns")
    assert subscription["Properties"] == {"TopicArn": TOPIC_IN_USE, "Protocol": "lambda", "Endpoint": FUNCTION_ARN}
    assert (permission["Type"], permission["Condition"]) == ("AWS::Lambda::Permission", "UseSns")
    assert permission["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Ref": "FeedbackFunction"},
        "Principal": "sns.amazonaws.com",
        "SourceArn": TOPIC_IN_USE,
    }


# ------------------------------------------------------------------------------------ ways in (Trigger)


def _ways_in(deployed: dict[str, Any]) -> set[str]:
    """Which ways in these deployed resources open, by what each needs to exist."""
    ways = set()
    for resource in deployed.values():
        kind, props = resource["Type"], resource.get("Properties", {})
        protocol = props.get("Protocol") if kind == "AWS::SNS::Subscription" else None
        if protocol == "lambda" or (kind == "AWS::Lambda::Permission" and props["Principal"] == "sns.amazonaws.com"):
            ways.add("sns")
        if protocol == "sqs" or kind == "AWS::Lambda::EventSourceMapping" or resource is deployed.get("FeedbackQueue"):
            ways.add("sqs")
        if protocol == "https" or kind == "AWS::Lambda::Url" or (
            kind == "AWS::Lambda::Permission" and props["Principal"] == "*"
        ):
            ways.add("https")
        if kind == "AWS::Events::Rule" or (
            kind == "AWS::Lambda::Permission" and props["Principal"] == "events.amazonaws.com"
        ):
            ways.add("eventbridge")
    return ways


def test_trigger_parameter_offers_sns_sqs_https_and_eventbridge_and_keeps_sns_by_default(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["Trigger"]
    assert parameter["AllowedValues"] == TRIGGERS
    assert parameter["Default"] == "sns"
    description = parameter["Description"]
    for words in ("sns:", "sqs:", "https:", "eventbridge:", "default event bus", "account-level", "volume",
                  "another account or partition", "failure queue"):
        assert words in description, words


@pytest.mark.parametrize("topic", ["", LOCAL_TOPIC, *FOREIGN_TOPICS.values()])
@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("source", ["template", "expanded"])
def test_each_trigger_value_opens_exactly_its_own_way_in(
    request: pytest.FixtureRequest, source: str, trigger: str, topic: str
) -> None:
    tpl = request.getfixturevalue(source)
    deployment = _Deployment(tpl, pseudo=HERE, Trigger=trigger, ExistingTopicArn=topic)
    if trigger == "eventbridge" and topic:
        assert any("ExistingTopicArn empty" in v for v in deployment.rule_violations())
        return
    assert [c for c in TRIGGER_CONDITIONS.values() if deployment.condition(c)] == [TRIGGER_CONDITIONS[trigger]]
    assert _ways_in(deployment.resources()) == {trigger}
    # Whatever the way in, the function may only be told about the topic in use (eventbridge reads none).
    env = deployment.resource("FeedbackFunction")["Properties"]["Environment"]["Variables"]
    expected = "" if trigger == "eventbridge" else (topic or "${FeedbackTopic}")
    assert env["ALLOWED_TOPIC_ARNS"] == expected


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("source", ["template", "expanded"])
def test_only_the_sns_ways_in_have_a_topic_and_its_wiring_outputs(
    request: pytest.FixtureRequest, source: str, trigger: str
) -> None:
    # SES identity notifications go only to SNS: with eventbridge a topic (and the command wiring
    # identities to it) would take feedback nothing reads.
    deployment = _Deployment(request.getfixturevalue(source), pseudo=HERE, Trigger=trigger)
    uses_topic = trigger != "eventbridge"
    resources = deployment.resources()
    assert ("FeedbackTopic" in resources, "FeedbackTopicPolicy" in resources) == (uses_topic, uses_topic)
    outputs = deployment.outputs()
    assert ("TopicArn" in outputs, "WireIdentityCommands" in outputs) == (uses_topic, uses_topic)
    assert not deployment.rule_violations()


def test_default_parameters_deploy_the_sns_way_in(template: dict[str, Any]) -> None:
    assert _ways_in(_Deployment(template).resources()) == {"sns"}


# ---- sqs


@pytest.mark.parametrize("source", ["template", "expanded"])
def test_sqs_event_source_mapping_reports_batch_item_failures_with_the_chosen_batch_size_and_window(
    request: pytest.FixtureRequest, source: str
) -> None:
    tpl = request.getfixturevalue(source)
    mappings = _resources_of_type(tpl, "AWS::Lambda::EventSourceMapping")
    assert list(mappings) == ["FeedbackQueueEventSourceMapping"]
    assert mappings["FeedbackQueueEventSourceMapping"]["Condition"] == "UseSqs"
    for size, window in ((100, 10), (500, 20), (10, 0), (10000, 300)):
        mapping = _Deployment(tpl, Trigger="sqs", QueueBatchSize=size, QueueBatchingWindowSeconds=window).resource(
            "FeedbackQueueEventSourceMapping"
        )["Properties"]
        assert mapping["EventSourceArn"] == "${FeedbackQueue.Arn}"
        assert mapping["FunctionName"] == "${FeedbackFunction}"
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == (size, window)
        assert mapping.get("Enabled", True) is True


def test_queue_batch_parameters_allow_what_lambda_allows_for_sqs(template: dict[str, Any]) -> None:
    size = template["Parameters"]["QueueBatchSize"]
    window = template["Parameters"]["QueueBatchingWindowSeconds"]
    assert (size["Type"], size["MinValue"], size["MaxValue"], size["Default"]) == ("Number", 1, 10000, 100)
    assert (window["Type"], window["MinValue"], window["MaxValue"], window["Default"]) == ("Number", 0, 300, 10)
    raw = template["Parameters"]["QueueRawMessageDelivery"]
    assert (raw["AllowedValues"], raw["Default"]) == (["true", "false"], "false")


@pytest.mark.parametrize(
    "trigger, size, window, refused",
    [
        ("sqs", 100, 0, True),
        ("sqs", 11, 0, True),
        ("sqs", 10, 0, False),
        ("sqs", 1, 0, False),
        ("sqs", 11, 1, False),
        ("sqs", 10000, 300, False),
        ("sns", 100, 0, False),
        ("https", 100, 0, False),
    ],
)
def test_a_batch_size_above_ten_without_a_batching_window_is_refused_before_deploying(
    template: dict[str, Any], trigger: str, size: int, window: int, refused: bool
) -> None:
    """Lambda refuses BatchSize > 10 with MaximumBatchingWindowInSeconds 0; a template rule says so first."""
    deployment = _Deployment(
        template, Trigger=trigger, QueueBatchSize=str(size), QueueBatchingWindowSeconds=str(window)
    )
    violations = deployment.rule_violations()
    assert bool(violations) is refused
    assert all("QueueBatchingWindowSeconds" in v for v in violations)


def test_feed_queue_redrives_to_the_failure_queue_after_5_receives(template: dict[str, Any]) -> None:
    queue = template["Resources"]["FeedbackQueue"]
    assert (queue["Type"], queue["Condition"]) == ("AWS::SQS::Queue", "UseSqs")
    props = queue["Properties"]
    assert props["SqsManagedSseEnabled"] is True
    assert props["RedrivePolicy"] == {"deadLetterTargetArn": FAILURE_QUEUE_ARN, "maxReceiveCount": 5}
    assert "FifoQueue" not in props, "the failure queue is a standard queue, so must its source be"


def test_failure_queue_keeps_messages_longer_than_the_feed_queue(template: dict[str, Any]) -> None:
    """A message moved to a dead-letter queue keeps its first enqueue time: the failure queue must keep it
    longer than the feed queue did, for some days left to replay it."""
    feed = template["Resources"]["FeedbackQueue"]["Properties"]["MessageRetentionPeriod"]
    failure = template["Resources"]["FailureQueue"]["Properties"]["MessageRetentionPeriod"]
    assert failure >= feed + 7 * 24 * 3600
    assert 60 <= feed <= 1209600


def test_feed_queue_visibility_timeout_is_at_least_six_function_timeouts_plus_the_longest_batching_window(
    template: dict[str, Any],
) -> None:
    timeout = _function(template)["Properties"]["Timeout"]
    longest_window = template["Parameters"]["QueueBatchingWindowSeconds"]["MaxValue"]
    visibility = template["Resources"]["FeedbackQueue"]["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * timeout + longest_window
    assert visibility >= 6 * timeout
    assert visibility <= 43200


@pytest.mark.parametrize("topic", ["", LOCAL_TOPIC, FOREIGN_TOPICS["another account"]])
@pytest.mark.parametrize("source", ["template", "expanded"])
def test_feed_queue_policy_lets_only_the_topic_in_use_send(
    request: pytest.FixtureRequest, source: str, topic: str
) -> None:
    tpl = request.getfixturevalue(source)
    policies = _resources_of_type(tpl, "AWS::SQS::QueuePolicy")
    feed_policies = [name for name, p in policies.items() if p["Properties"]["Queues"] == [{"Ref": "FeedbackQueue"}]]
    assert feed_policies == ["FeedbackQueuePolicy"]
    assert policies["FeedbackQueuePolicy"]["Condition"] == "UseSqs"
    policy = _Deployment(tpl, Trigger="sqs", ExistingTopicArn=topic).resource("FeedbackQueuePolicy")["Properties"]
    (statement,) = _as_list(policy["PolicyDocument"]["Statement"])
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert _as_list(statement["Action"]) == ["sqs:SendMessage"]
    assert statement["Resource"] == "${FeedbackQueue.Arn}"
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": topic or "${FeedbackTopic}"}}


@pytest.mark.parametrize("raw", ["true", "false"])
def test_sqs_subscription_feeds_the_queue_raw_only_when_asked(template: dict[str, Any], raw: str) -> None:
    deployment = _Deployment(template, Trigger="sqs", QueueRawMessageDelivery=raw)
    subscription = deployment.resource("FeedbackQueueSubscription")
    assert subscription["Properties"] == {
        "TopicArn": "${FeedbackTopic}",
        "Protocol": "sqs",
        "Endpoint": "${FeedbackQueue.Arn}",
        "RawMessageDelivery": raw,
    }
    assert "FeedbackQueuePolicy" in _as_list(subscription["DependsOn"]), "the queue admits the topic first"


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("source", ["template", "expanded"])
def test_sqs_grants_only_with_sqs_and_only_on_the_feed_queue(
    request: pytest.FixtureRequest, source: str, trigger: str
) -> None:
    tpl = request.getfixturevalue(source)
    grants = {
        (action, resource)
        for statement in _statements(_resolved_role(tpl, Trigger=trigger))
        for action in _as_list(statement["Action"])
        for resource in _as_list(statement["Resource"])
        if action.startswith("sqs:")
    }
    polling = {("sqs:ReceiveMessage", "${FeedbackQueue.Arn}"), ("sqs:DeleteMessage", "${FeedbackQueue.Arn}"),
               ("sqs:GetQueueAttributes", "${FeedbackQueue.Arn}")}
    expected = {("sqs:SendMessage", "${FailureQueue.Arn}")} | (polling if trigger == "sqs" else set())
    assert grants == expected


def test_feed_queue_backlog_alarm_watches_the_feed_queue_only_with_sqs(template: dict[str, Any]) -> None:
    alarm = template["Resources"]["FeedbackQueueBacklogAlarm"]
    assert alarm["Condition"] == "UseSqs"
    assert alarm["Properties"]["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["FeedbackQueue", "QueueName"]}}
    ]
    # Above the time a message the function keeps failing takes to reach the failure queue (5 receives,
    # one visibility timeout apart), so this alarm means "not read", not "failing".
    visibility = template["Resources"]["FeedbackQueue"]["Properties"]["VisibilityTimeout"]
    assert float(alarm["Properties"]["Threshold"]) > 5 * visibility


# ---- https


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("source", ["template", "expanded"])
def test_function_url_and_its_public_permissions_exist_only_with_https(
    request: pytest.FixtureRequest, source: str, trigger: str
) -> None:
    tpl = request.getfixturevalue(source)
    deployed = _Deployment(tpl, Trigger=trigger).resources()
    urls = [r["Properties"] for r in deployed.values() if r["Type"] == "AWS::Lambda::Url"]
    public = sorted(
        (r["Properties"] for r in deployed.values()
         if r["Type"] == "AWS::Lambda::Permission" and r["Properties"]["Principal"] == "*"),
        key=lambda p: p["Action"],
    )
    if trigger != "https":
        assert urls == [] and public == []
        return
    assert urls == [{"TargetFunctionArn": "${FeedbackFunction.Arn}", "AuthType": "NONE"}]
    # Both statements a public function URL needs (InvokeFunction for URLs created since October 2025),
    # each usable only through the function URL.
    assert public == [
        {"Action": "lambda:InvokeFunction", "FunctionName": "${FeedbackFunction}", "Principal": "*",
         "InvokedViaFunctionUrl": True},
        {"Action": "lambda:InvokeFunctionUrl", "FunctionName": "${FeedbackFunction}", "Principal": "*",
         "FunctionUrlAuthType": "NONE"},
    ]


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("source", ["template", "expanded"])
def test_reserved_concurrency_caps_the_public_function_url_and_only_it(
    request: pytest.FixtureRequest, source: str, trigger: str
) -> None:
    tpl = request.getfixturevalue(source)
    for overrides, cap in [({}, 10), ({"HttpsReservedConcurrency": 3}, 3)]:
        deployed = _Deployment(tpl, Trigger=trigger, **overrides).resources()
        function = deployed["FeedbackFunction"]["Properties"]
        if trigger == "https":
            assert function["ReservedConcurrentExecutions"] == cap
        else:
            assert "ReservedConcurrentExecutions" not in function, "other ways in share the account's pool"


@pytest.mark.parametrize("topic", ["", LOCAL_TOPIC])
@pytest.mark.parametrize("source", ["template", "expanded"])
def test_https_subscription_posts_a_local_topic_to_the_function_url_and_gives_up_into_the_failure_queue(
    request: pytest.FixtureRequest, source: str, topic: str
) -> None:
    tpl = request.getfixturevalue(source)
    deployment = _Deployment(tpl, pseudo=HERE, Trigger="https", ExistingTopicArn=topic)
    assert deployment.condition("TopicIsLocal") and deployment.condition("SubscribeOverHttps")
    in_use = topic or "${FeedbackTopic}"
    subscription = deployment.resource("FeedbackHttpsSubscription")
    props = subscription["Properties"]
    assert (props["TopicArn"], props["Protocol"]) == (in_use, "https")
    assert props["Endpoint"] == "${FeedbackFunctionUrl.FunctionUrl}"
    assert props.get("RawMessageDelivery", "false") in ("false", False), "the function verifies SNS's signed envelope"
    assert props["RedrivePolicy"] == {"deadLetterTargetArn": "${FailureQueue.Arn}"}
    # The URL answers before SNS sends the confirmation; the failure queue admits SNS before it gives up.
    assert set(_as_list(subscription["DependsOn"])) == {
        "FeedbackFunctionUrlPublicPermission", "FeedbackFunctionUrlInvokePermission", "FailureQueuePolicy",
    }
    (statement,) = _as_list(deployment.resource("FailureQueuePolicy")["Properties"]["PolicyDocument"]["Statement"])
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert _as_list(statement["Action"]) == ["sqs:SendMessage"]
    assert statement["Resource"] == "${FailureQueue.Arn}"
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": in_use}}
    outputs = deployment.outputs()
    assert "FunctionUrl" in outputs and "HttpsSubscribeCommand" not in outputs


@pytest.mark.parametrize("where", sorted(FOREIGN_TOPICS))
def test_https_topic_of_another_account_region_or_partition_is_subscribed_by_its_owner(
    template: dict[str, Any], where: str
) -> None:
    """The stack cannot subscribe another partition's topic, nor give another account's or region's
    subscription its dead-letter queue (SNS wants it in the subscription's account and region)."""
    topic = FOREIGN_TOPICS[where]
    deployment = _Deployment(template, pseudo=HERE, Trigger="https", ExistingTopicArn=topic)
    deployed = deployment.resources()
    assert "FeedbackFunctionUrl" in deployed
    assert "FeedbackHttpsSubscription" not in deployed and "FailureQueuePolicy" not in deployed
    assert {"FunctionUrl", "HttpsSubscribeCommand"} <= deployment.outputs()
    command, variables = template["Outputs"]["HttpsSubscribeCommand"]["Value"]["Fn::Sub"]
    region = deployment.resolve(variables)["TopicRegion"]
    assert region == topic.split(":")[3]
    assert command == (
        "aws sns subscribe --region ${TopicRegion} --topic-arn ${ExistingTopicArn} --protocol https"
        " --notification-endpoint ${FeedbackFunctionUrl.FunctionUrl}"
    )


def test_topic_is_local_condition_evaluates_for_the_empty_default(template: dict[str, Any]) -> None:
    # CloudFormation evaluates every condition on every deploy: Fn::Select must find fields 3 and 4 even
    # when ExistingTopicArn is empty.
    deployment = _Deployment(template, pseudo=HERE)
    for split in (node["Fn::Split"] for node in _nodes(template["Conditions"]["TopicIsLocal"]) if "Fn::Split" in node):
        assert len(deployment.resolve(split[1]).split(":")) >= 5
    assert deployment.condition("TopicIsLocal")


def test_https_delivery_policy_retries_within_the_hour_sns_allows(template: dict[str, Any]) -> None:
    policy = template["Resources"]["FeedbackHttpsSubscription"]["Properties"]["DeliveryPolicy"]["healthyRetryPolicy"]
    phases = policy["numNoDelayRetries"] + policy["numMinDelayRetries"] + policy["numMaxDelayRetries"]
    backoff = policy["numRetries"] - phases
    assert backoff >= 0 and policy["numRetries"] <= 100
    assert 1 <= policy["minDelayTarget"] <= policy["maxDelayTarget"] <= 3600
    # Whatever SNS's backoff curve, each backoff delay is at most maxDelayTarget.
    longest = policy["numMinDelayRetries"] * policy["minDelayTarget"] + (
        backoff + policy["numMaxDelayRetries"]
    ) * policy["maxDelayTarget"]
    assert longest <= 3600
    assert policy["numRetries"] > 3, "more patient than SNS's default (3 retries, 20 s apart)"


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_outputs_give_the_feed_queue_with_sqs_and_the_function_url_with_https(
    template: dict[str, Any], trigger: str
) -> None:
    outputs = _Deployment(template, Trigger=trigger).outputs()
    assert ("FeedQueueUrl" in outputs) == (trigger == "sqs")
    assert ("FunctionUrl" in outputs) == (trigger == "https")
    assert template["Outputs"]["FeedQueueUrl"]["Value"] == {"Ref": "FeedbackQueue"}
    assert template["Outputs"]["FunctionUrl"]["Value"] == FUNCTION_URL
    assert template["Outputs"]["Trigger"]["Value"] == {"Ref": "Trigger"}


def test_event_invoke_config_sends_failures_to_the_failure_queue_whatever_the_trigger(template: dict[str, Any]) -> None:
    # Only asynchronous invocations (sns) use it, but it costs nothing with the others.
    function = template["Resources"]["FeedbackFunction"]
    assert "Condition" not in function
    on_failure = function["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
    assert on_failure["Destination"] == FAILURE_QUEUE_ARN


# ------------------------------------------------------------------------------------ alarms

ALARMS = {
    # name: (namespace, metric, threshold, comparison)
    "FailureQueueNotEmptyAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", 0, "GreaterThanThreshold"),
    "FeedbackQueueBacklogAlarm": ("AWS/SQS", "ApproximateAgeOfOldestMessage", 3600, "GreaterThanThreshold"),
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
    "SoftButReallyHardBouncesQuery": [
        'notificationType = "Bounce" and bounceType != "Permanent" and effectiveBounceType = "Permanent"',
        "dedup emailAddress",
    ],
    "TopBounceReasonsPerDomainQuery": [
        'parse emailAddress "*@*" as user, domain',
        "coalesce(recipientDomain, domain) as bouncedDomain",
        "by bouncedDomain, reason, effectiveBounceType",
        "sort bounces desc",
    ],
    "BounceReasonsOverTimeQuery": ['notificationType = "Bounce"', "by reason, bin(1h)"],
    "FeedbackByRegionQuery": ['coalesce(sesRegion, "(none)") as region', "by region, notificationType", "filter sesRegion"],
}
# The queries over what the function derives from each bounce (reason, effectiveBounceType).
REASON_QUERIES = {
    # resource: the derived fields it must filter or group by
    "SoftButReallyHardBouncesQuery": {"effectiveBounceType"},
    "TopBounceReasonsPerDomainQuery": {"reason", "effectiveBounceType"},
    "BounceReasonsOverTimeQuery": {"reason"},
    "RecentPermanentBouncesQuery": {"effectiveBounceType"},
}


def _query_commands(query: str) -> list[str]:
    body = "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))
    return [segment.strip() for segment in body.split("|") if segment.strip()]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_saved_query_runs_over_the_feedback_group(template: dict[str, Any], name: str) -> None:
    query = template["Resources"][name]
    assert query["Type"] == "AWS::Logs::QueryDefinition"
    props = query["Properties"]
    assert query["Condition"] == "OwnsFeedbackLogGroup", "queries are regional: only where the group is"
    assert props["LogGroupNames"] == [{"Ref": "FeedbackLogGroup"}]
    for fragment in QUERIES[name]:
        assert fragment in props["QueryString"], f"{name} lacks {fragment!r}"
    for command in _query_commands(props["QueryString"]):
        assert command.split()[0] in LOGS_INSIGHTS_COMMANDS, f"{name}: unknown command in {command!r}"
    assert props["QueryString"].count('"') % 2 == 0


def test_there_are_exactly_the_nine_saved_queries(template: dict[str, Any]) -> None:
    assert sorted(_resources_of_type(template, "AWS::Logs::QueryDefinition")) == sorted(QUERIES)


LOGGED_FIELDS = {
    "emailAddress", "notificationType", "timestamp", "messageId", "source", "sesRegion", "feedbackId", "snsMessageId",
    "bounceType", "bounceSubType", "action", "status", "diagnosticCode", "reportingMTA", "remoteMtaIp",
    "reason", "effectiveBounceType", "recipientDomain",
    "complaintFeedbackType", "complaintSubType", "userAgent", "arrivalDate", "smtpResponse",
}


QUERY_KEYWORDS = {"and", "or", "not", "like", "in", "asc", "desc"}


def _field_names(expression: str) -> set[str]:
    """The log fields an expression reads: identifiers that are not functions, aliases, keywords or literals."""
    expression = re.sub(r'"[^"]*"', "", expression)
    expression = re.sub(r"\bas\s+\w+", "", expression)
    names = set()
    for match in re.finditer(r"(?<![\w@.])[@A-Za-z_][\w.]*", expression):
        if not expression[match.end():].lstrip().startswith("(") and match.group(0) not in QUERY_KEYWORDS:
            names.add(match.group(0))
    return names


def test_saved_queries_only_use_fields_the_function_logs(template: dict[str, Any]) -> None:
    for name in QUERIES:
        query = template["Resources"][name]["Properties"]["QueryString"]
        parsed = set()
        for command in _query_commands(query):
            if command.startswith("parse "):
                parsed |= set(re.findall(r"\bas\s+(.*)$", command)[0].replace(" ", "").split(","))
            if command.startswith("fields "):
                for field in _field_names(command[len("fields "):]):
                    known = field.startswith("@") or field in LOGGED_FIELDS | parsed
                    assert known, f"{name} shows unknown field {field}"


@pytest.mark.parametrize("name", sorted(REASON_QUERIES))
def test_reason_queries_filter_or_group_by_the_derived_fields(template: dict[str, Any], name: str) -> None:
    query = template["Resources"][name]["Properties"]["QueryString"]
    used = set()
    for command in _query_commands(query):
        if command.startswith("filter "):
            used |= _field_names(command[len("filter "):])
        if command.startswith("stats ") and " by " in command:
            used |= _field_names(command.split(" by ", 1)[1])
    assert REASON_QUERIES[name] <= used, f"{name} uses {sorted(used)}"


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
    assert destination["Condition"] == "CreateConfigSetForSns"
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
    assert outputs["FeedbackLogGroupName"]["Value"] == {
        "Fn::If": ["OwnsFeedbackLogGroup", {"Ref": "FeedbackLogGroup"}, {"Ref": "FeedbackLogGroupName"}]
    }
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


# ------------------------------------------------------------------------------------ archive to S3 (ArchiveToS3)

ARCHIVE_ON = {"ArchiveToS3": "true"}
ARCHIVE_ROLES = ["ArchiveDeliveryRole", "ArchiveSubscriptionRole"]
# Every resource the option adds, by type.
ARCHIVE_RESOURCES = {
    "ArchiveBucket": "AWS::S3::Bucket",
    "ArchiveBucketPolicy": "AWS::S3::BucketPolicy",
    "ArchiveDeliveryLogGroup": "AWS::Logs::LogGroup",
    "ArchiveDeliveryLogStream": "AWS::Logs::LogStream",
    "ArchiveDeliveryRole": "AWS::IAM::Role",
    "ArchiveDeliveryStream": "AWS::KinesisFirehose::DeliveryStream",
    "ArchiveSubscriptionRole": "AWS::IAM::Role",
    "ArchiveSubscriptionFilter": "AWS::Logs::SubscriptionFilter",
    "ArchiveDatabase": "AWS::Glue::Database",
    "ArchiveTable": "AWS::Glue::Table",
    "ArchiveWorkGroup": "AWS::Athena::WorkGroup",
    **{f"Archive{query}": "AWS::Athena::NamedQuery" for query in QUERIES},
}
ARCHIVE_BUCKET_ARN = "${ArchiveBucket.Arn}"
ARCHIVE_STREAM_ARN = "${ArchiveDeliveryStream.Arn}"


def _archive(tpl: dict[str, Any], name: str, **parameters: Any) -> dict[str, Any]:
    """An archive resource as deployed with ArchiveToS3 true (and these parameters)."""
    resource = _Deployment(tpl, **{**ARCHIVE_ON, **parameters}).resource(name)
    assert resource is not None, f"{name} is not deployed with ArchiveToS3 true"
    return resource


def _grants(role: dict[str, Any]) -> dict[str, list[Any]]:
    """action -> the resources the role's statements allow it on (every statement an Allow)."""
    grants: dict[str, list[Any]] = {}
    for statement in _statements(role):
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        for action in _as_list(statement["Action"]):
            grants.setdefault(action, []).extend(_as_list(statement["Resource"]))
    return grants


def _archive_role(tpl: dict[str, Any], name: str) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """An archive role's grants (no managed policies) and its one trust statement."""
    role = _archive(tpl, name)
    assert not role["Properties"].get("ManagedPolicyArns")
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    return _grants(role), trust


def test_archive_is_off_by_default_and_its_parameters_form_one_console_group(template: dict[str, Any]) -> None:
    params = template["Parameters"]
    assert params["ArchiveToS3"]["Default"] == "false"
    assert params["ArchiveToS3"]["AllowedValues"] == ["true", "false"]
    assert params["ArchiveRetentionDays"]["Type"] == "Number" and params["ArchiveRetentionDays"]["MinValue"] >= 1
    database = params["ArchiveDatabaseName"]
    assert re.fullmatch(database["AllowedPattern"], database["Default"])
    for bad in ("ses-feedback", "SesFeedback", "1feedback", ""):
        assert not re.fullmatch(database["AllowedPattern"], bad), bad
    groups = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    archive_groups = [g for g in groups if any(p.startswith("Archive") for p in g["Parameters"])]
    assert [g["Parameters"] for g in archive_groups] == [["ArchiveToS3", "ArchiveRetentionDays", "ArchiveDatabaseName"]]


@pytest.mark.parametrize("source", ["template", "expanded"])
def test_archive_off_creates_nothing_and_changes_nothing_else(request: pytest.FixtureRequest, source: str) -> None:
    """Off (the default), not one archive resource or output exists, so it costs nothing; on, it only adds."""
    tpl = request.getfixturevalue(source)
    archive = {name for name, resource in tpl["Resources"].items() if resource.get("Condition") == "ArchiveOn"}
    assert archive == set(ARCHIVE_RESOURCES)
    assert {name: tpl["Resources"][name]["Type"] for name in archive} == ARCHIVE_RESOURCES
    off, on = _Deployment(tpl), _Deployment(tpl, **ARCHIVE_ON)
    assert not archive & set(off.resources())
    assert set(on.resources()) == set(off.resources()) | archive
    for name, resource in off.resources().items():
        assert on.resources()[name] == resource, f"ArchiveToS3 changes {name}"
    archive_outputs = {name for name in tpl["Outputs"] if name.startswith("Archive")}
    assert archive_outputs == {"ArchiveBucketName", "ArchiveTableName", "ArchiveWorkGroupName"}
    assert not archive_outputs & off.outputs()
    assert on.outputs() == off.outputs() | archive_outputs
# ------------------------------------------------------------------------------------ Trigger eventbridge

EMAIL_DETAIL_TYPES = {
    "send": "Email Sent",
    "reject": "Email Rejected",
    "bounce": "Email Bounced",
    "complaint": "Email Complaint Received",
    "delivery": "Email Delivered",
    "open": "Email Opened",
    "click": "Email Clicked",
    "renderingFailure": "Email Rendering Failed",
    "deliveryDelay": "Email Delivery Delayed",
    "subscription": "Email Subscribed",
}
ACCOUNT_DETAIL_TYPES = [
    "Sending Status Enabled",
    "Sending Status Disabled",
    "Advisor Recommendation Status Open",
    "Advisor Recommendation Status Resolved",
]
RULE_ARN = "${SesEventsRule.Arn}"


def test_eventbridge_detail_types_are_those_the_function_knows() -> None:
    """The template's names are the function's (src/sources/eventbridge.rs EMAIL_DETAIL_TYPES)."""
    source = (REPO / "src/sources/eventbridge.rs").read_text(encoding="utf-8")
    for detail_type in EMAIL_DETAIL_TYPES.values():
        assert f'"{detail_type}"' in source, detail_type


@pytest.mark.parametrize(
    "event_types",
    ["bounce,complaint,deliveryDelay,reject", "delivery", "send,open,click,renderingFailure,subscription",
     ",".join(EMAIL_DETAIL_TYPES)],
)
@pytest.mark.parametrize("create_set", ["true", "false"])
@pytest.mark.parametrize("source", ["template", "expanded"])
def test_eventbridge_rule_matches_the_published_email_types_of_the_stacks_set_and_account_events(
    request: pytest.FixtureRequest, source: str, create_set: str, event_types: str
) -> None:
    tpl = request.getfixturevalue(source)
    deployment = _Deployment(
        tpl, Trigger="eventbridge", EventTypes=event_types, CreateConfigurationSet=create_set,
        ConfigurationSetName="marketing",
    )
    rule = deployment.resource("SesEventsRule")["Properties"]
    assert rule["EventBusName"] == "default" and rule["State"] == "ENABLED"
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.ses"]
    email, account = pattern["$or"]
    assert email["detail-type"] == [
        detail_type for name, detail_type in EMAIL_DETAIL_TYPES.items() if name in event_types.split(",")
    ]
    if create_set == "true":
        assert email["detail"] == {"mail": {"tags": {"ses:configuration-set": ["marketing"]}}}
    else:
        assert "detail" not in email, "no set of the stack's: every configuration set's events"
    assert account == {"detail-type": ACCOUNT_DETAIL_TYPES}


@pytest.mark.parametrize("source", ["template", "expanded"])
def test_eventbridge_rule_retries_then_dead_letters_and_only_it_may_invoke_the_function(
    request: pytest.FixtureRequest, source: str
) -> None:
    deployed = _Deployment(request.getfixturevalue(source), Trigger="eventbridge").resources()
    (target,) = deployed["SesEventsRule"]["Properties"]["Targets"]
    assert target["Arn"] == "${FeedbackFunction.Arn}"
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    assert target["DeadLetterConfig"] == {"Arn": "${EventBridgeDeadLetterQueue.Arn}"}
    permission = deployed["SesEventsRulePermission"]["Properties"]
    assert (permission["Principal"], permission["SourceArn"]) == ("events.amazonaws.com", RULE_ARN)
    assert permission["Action"] == "lambda:InvokeFunction"
    queue = deployed["EventBridgeDeadLetterQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True and queue["MessageRetentionPeriod"] == 1209600
    (statement,) = deployed["EventBridgeDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == "${EventBridgeDeadLetterQueue.Arn}"
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": RULE_ARN}}
    # The function's own failures take the asynchronous path SNS's take: two retries, then the failure queue.
    if source == "template":
        invoke_config = deployed["FeedbackFunction"]["Properties"]["EventInvokeConfig"]
    else:  # SAM makes it a resource of its own
        (invoke_config,) = [
            r["Properties"] for r in deployed.values() if r["Type"] == "AWS::Lambda::EventInvokeConfig"
        ]
    assert invoke_config["MaximumRetryAttempts"] == 2
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == "${FailureQueue.Arn}"


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_eventbridge_resources_exist_only_with_trigger_eventbridge(template: dict[str, Any], trigger: str) -> None:
    deployed = _Deployment(template, Trigger=trigger).resources()
    names = {"SesEventsRule", "SesEventsRulePermission", "EventBridgeDeadLetterQueue",
             "EventBridgeDeadLetterQueuePolicy", "EventBridgeDeadLetterQueueNotEmptyAlarm"}
    assert (names & set(deployed)) == (names if trigger == "eventbridge" else set())
    outputs = _Deployment(template, Trigger=trigger).outputs()
    assert ({"EventBridgeRuleArn", "EventBridgeDeadLetterQueueUrl"} <= outputs) == (trigger == "eventbridge")


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_the_stacks_configuration_set_publishes_to_the_default_bus_with_eventbridge_else_to_the_topic(
    template: dict[str, Any], trigger: str
) -> None:
    deployed = _Deployment(template, Trigger=trigger, CreateConfigurationSet="true").resources()
    destinations = [
        r["Properties"]["EventDestination"] for r in deployed.values()
        if r["Type"] == "AWS::SES::ConfigurationSetEventDestination"
    ]
    (destination,) = destinations
    assert destination["Enabled"] is True
    assert destination["MatchingEventTypes"] == ["bounce", "complaint", "deliveryDelay", "reject"]
    if trigger == "eventbridge":
        assert destination["EventBridgeDestination"] == {
            "EventBusArn": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
        }
        assert "SnsDestination" not in destination
    else:
        assert "EventBridgeDestination" not in destination and "SnsDestination" in destination
    assert not [
        r for r in _Deployment(template, Trigger=trigger).resources().values()
        if r["Type"] == "AWS::SES::ConfigurationSetEventDestination"
    ], "no configuration set, no destination"


def test_dashboard_shows_the_eventbridge_dead_letter_queue_and_its_alarm(template: dict[str, Any]) -> None:
    widget = _widget_with(template, ("AWS/SQS", "ApproximateNumberOfMessagesVisible"), Trigger="eventbridge")
    rows = [m for m in _metric_ids(widget) if m[2:] == ("QueueName", "<EventBridgeDeadLetterQueue.QueueName>")]
    assert [m[1] for m in rows] == ["ApproximateNumberOfMessagesVisible"]
    (alarms,) = _widgets(template, "alarm", Trigger="eventbridge")
    assert any(a.endswith(":alarm:<EventBridgeDeadLetterQueueNotEmptyAlarm>") for a in alarms["properties"]["alarms"])
    alarm = _Deployment(template, Trigger="eventbridge").resource("EventBridgeDeadLetterQueueNotEmptyAlarm")
    props = alarm["Properties"]
    assert (props["Namespace"], props["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert props["Dimensions"] == [{"Name": "QueueName", "Value": "${EventBridgeDeadLetterQueue.QueueName}"}]
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert props["AlarmActions"] == ["${AlarmTopic}"]
    records = _widget_with(template, ("<MetricsNamespace>", "Records"))
    assert ("<MetricsNamespace>", "AccountEvents") in _metric_ids(records)


# ------------------------------------------------------------------------------------ masking and log class

EMAIL_IDENTIFIER = ["arn:${AWS::Partition}:dataprotection::aws:data-identifier/EmailAddress"]


def _feedback_group(tpl: dict[str, Any], **parameters: Any) -> dict[str, Any]:
    return _Deployment(tpl, **parameters).resource("FeedbackLogGroup")["Properties"]


@pytest.mark.parametrize("findings", ["", "ses-feedback-findings"])
@pytest.mark.parametrize("source", ["template", "expanded"])
def test_masking_puts_an_audit_and_a_deidentify_statement_for_email_addresses_on_the_feedback_group(
    request: pytest.FixtureRequest, source: str, findings: str
) -> None:
    tpl = request.getfixturevalue(source)
    policy = _feedback_group(
        tpl, FeedbackLogMasking="on", FeedbackLogMaskingFindingsLogGroup=findings
    )["DataProtectionPolicy"]
    assert policy["Version"] == "2021-06-01"
    audit, deidentify = policy["Statement"]
    assert audit["DataIdentifier"] == deidentify["DataIdentifier"] == EMAIL_IDENTIFIER
    destination = audit["Operation"]["Audit"]["FindingsDestination"]
    assert destination == ({"CloudWatchLogs": {"LogGroup": findings}} if findings else {})
    assert deidentify["Operation"] == {"Deidentify": {"MaskConfig": {}}}
    assert "DataProtectionPolicy" not in _feedback_group(tpl), "off by default"
    # Only the feedback group is masked; the function's own log never holds an address above debug.
    assert "DataProtectionPolicy" not in _Deployment(tpl, FeedbackLogMasking="on").resource(
        "FunctionLogGroup"
    )["Properties"]


def test_masking_grants_the_function_nothing_new(expanded: dict[str, Any]) -> None:
    assert _resolved_role(expanded, FeedbackLogMasking="on") == _resolved_role(expanded)
    actions = {a for s in _statements(_resolved_role(expanded, FeedbackLogMasking="on")) for a in _as_list(s["Action"])}
    assert not {a for a in actions if "Unmask" in a or "DataProtection" in a}


def test_feedback_log_class_is_standard_by_default_and_only_the_feedback_group_can_change(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["FeedbackLogGroupClass"]
    assert parameter["AllowedValues"] == ["STANDARD", "INFREQUENT_ACCESS"] and parameter["Default"] == "STANDARD"
    # Left out for STANDARD, so a stack deployed before the parameter keeps its group (a changed
    # LogGroupClass replaces a log group, and this one is retained under a fixed name).
    assert "LogGroupClass" not in _feedback_group(template)
    assert _feedback_group(template, FeedbackLogGroupClass="INFREQUENT_ACCESS")["LogGroupClass"] == "INFREQUENT_ACCESS"
    own = _Deployment(template, FeedbackLogGroupClass="INFREQUENT_ACCESS").resource("FunctionLogGroup")
    assert "LogGroupClass" not in own["Properties"], "the function's EMF metrics need STANDARD"


@pytest.mark.parametrize(
    "parameters, refused",
    [
        ({"ArchiveToS3": "true", "LogFormat": "json"}, False),
        ({"ArchiveToS3": "true", "LogFormat": "plain"}, True),
        ({"ArchiveToS3": "false", "LogFormat": "plain"}, False),
    ],
)
def test_archive_is_refused_with_plain_log_events(template: dict[str, Any], parameters: dict[str, str], refused: bool) -> None:
    violations = [v for v in _Deployment(template, **parameters).rule_violations() if "ArchiveToS3" in v]
    assert bool(violations) == refused, violations


def test_archive_bucket_is_encrypted_private_unversioned_retained_and_expires(template: dict[str, Any]) -> None:
    bucket = _archive(template, "ArchiveBucket", ArchiveRetentionDays=731)
    assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"
    props = bucket["Properties"]
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "VersioningConfiguration" not in props
    rules = {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}
    everything = [rule for rule in rules.values() if "Prefix" not in rule and "Filter" not in rule]
    assert [rule["ExpirationInDays"] for rule in everything] == [731]
    assert everything[0]["Status"] == "Enabled"
    assert everything[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1
    results = [rule for rule in rules.values() if rule.get("Prefix") == "athena-results/"]
    assert len(results) == 1 and results[0]["ExpirationInDays"] <= 30


def test_archive_bucket_refuses_requests_without_tls(template: dict[str, Any]) -> None:
    policy = _archive(template, "ArchiveBucketPolicy")["Properties"]
    assert policy["Bucket"] == "${ArchiveBucket}"
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
    assert statement["Resource"] == [ARCHIVE_BUCKET_ARN, ARCHIVE_BUCKET_ARN + "/*"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_archive_subscription_filter_sends_every_feedback_event_to_the_stream(template: dict[str, Any]) -> None:
    props = _archive(template, "ArchiveSubscriptionFilter")["Properties"]
    assert props["LogGroupName"] == "${FeedbackLogGroup}"
    assert props["FilterPattern"] == ""
    assert props["DestinationArn"] == ARCHIVE_STREAM_ARN
    assert props["RoleArn"] == "${ArchiveSubscriptionRole.Arn}"


@pytest.mark.parametrize("source", ["template", "expanded"])
def test_archive_subscription_role_may_only_put_into_the_archive_stream(
    request: pytest.FixtureRequest, source: str
) -> None:
    grants, trust = _archive_role(request.getfixturevalue(source), "ArchiveSubscriptionRole")
    assert grants == {"firehose:PutRecord": [ARCHIVE_STREAM_ARN]}
    assert trust["Principal"] == {"Service": "logs.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    # Only CloudWatch Logs acting for this account and region.
    assert trust["Condition"] == {
        "StringLike": {"aws:SourceArn": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"}
    }


@pytest.mark.parametrize("source", ["template", "expanded"])
def test_archive_delivery_role_may_only_write_the_archive_prefixes_and_its_error_log(
    request: pytest.FixtureRequest, source: str
) -> None:
    grants, trust = _archive_role(request.getfixturevalue(source), "ArchiveDeliveryRole")
    objects = [ARCHIVE_BUCKET_ARN + "/feedback/*", ARCHIVE_BUCKET_ARN + "/errors/*"]
    error_stream = ARN_PREFIX + "${ArchiveDeliveryLogGroup}:log-stream:${ArchiveDeliveryLogStream}"
    assert grants == {
        "s3:GetBucketLocation": [ARCHIVE_BUCKET_ARN],
        "s3:ListBucket": [ARCHIVE_BUCKET_ARN],
        "s3:ListBucketMultipartUploads": [ARCHIVE_BUCKET_ARN],
        "s3:AbortMultipartUpload": objects,
        "s3:GetObject": objects,
        "s3:PutObject": objects,
        "logs:PutLogEvents": [error_stream],
    }
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "${AWS::AccountId}"}}


def _archive_destination(tpl: dict[str, Any]) -> dict[str, Any]:
    return _archive(tpl, "ArchiveDeliveryStream")["Properties"]["ExtendedS3DestinationConfiguration"]


def _processors(tpl: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Processor type -> its parameters, in the stream's order."""
    config = _archive_destination(tpl)["ProcessingConfiguration"]
    assert config["Enabled"] is True
    return {
        p["Type"]: {q["ParameterName"]: q["ParameterValue"] for q in p.get("Parameters", [])}
        for p in config["Processors"]
    }


def test_archive_stream_unwraps_cloudwatch_logs_with_firehoses_own_processors(template: dict[str, Any]) -> None:
    """Decompress, keep each log event's message alone, compute the partition, end each record with a newline:
    no Lambda transform."""
    stream = _archive(template, "ArchiveDeliveryStream")["Properties"]
    assert stream["DeliveryStreamType"] == "DirectPut"
    assert stream["DeliveryStreamEncryptionConfigurationInput"]["KeyType"] in {"AWS_OWNED_CMK", "CUSTOMER_MANAGED_CMK"}
    processors = _processors(template)
    assert list(processors) == ["Decompression", "CloudWatchLogProcessing", "MetadataExtraction", "AppendDelimiterToRecord"]
    assert processors["Decompression"] == {"CompressionFormat": "GZIP"}
    assert processors["CloudWatchLogProcessing"] == {"DataMessageExtraction": "true"}
    assert processors["MetadataExtraction"]["JsonParsingEngine"] == "JQ-1.6"
    assert processors["AppendDelimiterToRecord"] == {}
    destination = _archive_destination(template)
    assert destination["BucketARN"] == ARCHIVE_BUCKET_ARN
    assert destination["RoleARN"] == "${ArchiveDeliveryRole.Arn}"
    assert destination["CompressionFormat"] == "GZIP"
    assert destination["DynamicPartitioningConfiguration"]["Enabled"] is True
    # Dynamic partitioning needs a buffer of at least 64 MB.
    assert 64 <= destination["BufferingHints"]["SizeInMBs"] <= 128
    assert 60 <= destination["BufferingHints"]["IntervalInSeconds"] <= 900
    logging = destination["CloudWatchLoggingOptions"]
    assert logging == {"Enabled": True, "LogGroupName": "${ArchiveDeliveryLogGroup}", "LogStreamName": "${ArchiveDeliveryLogStream}"}


def _firehose_layout(prefix: str) -> str:
    """A Firehose prefix as a location template: !{partitionKeyFromQuery:k} and !{timestamp:...} -> ${k}."""
    keys = iter(re.findall(r"(\w+)=!\{", prefix))
    return re.sub(r"!\{[^}]*\}", lambda _: "${" + next(keys) + "}", prefix)


def test_archive_partitions_are_where_the_tables_projection_looks(template: dict[str, Any]) -> None:
    """Firehose's prefix and the table's storage.location.template describe the same layout, the date in the same
    format, and nothing else (errors) is written under the table's location."""
    destination = _archive_destination(template)
    table = _archive(template, "ArchiveTable", ArchiveRetentionDays=400)["Properties"]["TableInput"]
    parameters = table["Parameters"]
    location = table["StorageDescriptor"]["Location"]
    assert location == "s3://${ArchiveBucket}/feedback/"
    assert parameters["storage.location.template"] == "s3://${ArchiveBucket}/" + _firehose_layout(destination["Prefix"])
    assert [key["Name"] for key in table["PartitionKeys"]] == re.findall(r"(\w+)=!\{", destination["Prefix"])
    assert all(key["Type"] == "string" for key in table["PartitionKeys"])
    assert parameters["projection.enabled"] == "true"
    assert re.search(r"archiveday=!\{timestamp:yyyy-MM-dd\}/$", destination["Prefix"])
    assert parameters["projection.archiveday.type"] == "date"
    assert parameters["projection.archiveday.format"] == "yyyy-MM-dd"
    assert parameters["projection.archiveday.interval"] == "1"
    assert parameters["projection.archiveday.interval.unit"] == "DAYS"
    # The projection covers the days the bucket keeps.
    assert parameters["projection.archiveday.range"] == "NOW-400DAYS,NOW"
    assert "eventtype=!{partitionKeyFromQuery:eventtype}" in destination["Prefix"]
    assert parameters["projection.eventtype.type"] == "enum"
    assert not destination["ErrorOutputPrefix"].startswith("feedback/")
    assert "!{firehose:error-output-type}" in destination["ErrorOutputPrefix"]


def test_archive_table_reads_gzipped_json_lines(template: dict[str, Any]) -> None:
    table = _archive(template, "ArchiveTable")["Properties"]
    assert table["DatabaseName"] == "${ArchiveDatabase}"
    assert table["TableInput"]["Name"] == "feedback"
    assert table["TableInput"]["TableType"] == "EXTERNAL_TABLE"
    storage = table["TableInput"]["StorageDescriptor"]
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert storage["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    # Athena reads .gz objects by their extension.
    assert _archive_destination(template)["FileExtension"].endswith(".gz")
    names = [column["Name"] for column in storage["Columns"]]
    assert len(names) == len(set(names)) and all(name == name.lower() for name in names)
    assert not set(names) & {key["Name"] for key in table["TableInput"]["PartitionKeys"]}
    database = _archive(template, "ArchiveDatabase", ArchiveDatabaseName="mail_feedback")["Properties"]
    assert database["DatabaseInput"]["Name"] == "mail_feedback"


def test_archive_workgroup_keeps_results_encrypted_in_the_archive_bucket(template: dict[str, Any]) -> None:
    props = _archive(template, "ArchiveWorkGroup")["Properties"]
    config = props["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["ResultConfiguration"]["OutputLocation"] == "s3://${ArchiveBucket}/athena-results/"
    assert config["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"] in {"SSE_S3", "SSE_KMS"}
    assert props["RecursiveDeleteOption"] is True


def _athena_queries(tpl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: _archive(tpl, name)["Properties"] for name in _resources_of_type(tpl, "AWS::Athena::NamedQuery")}


def test_archive_saves_an_athena_query_for_every_saved_logs_insights_question(template: dict[str, Any]) -> None:
    """Same name as the Logs Insights query (without the stack prefix), in the archive's database and workgroup."""
    insights = {
        _Deployment(template).resource(name)["Properties"]["Name"].split("/", 1)[1]: name
        for name in _resources_of_type(template, "AWS::Logs::QueryDefinition")
    }
    athena = _athena_queries(template)
    assert sorted(q["Name"] for q in athena.values()) == sorted(insights)
    for name, query in athena.items():
        assert name == "Archive" + insights[query["Name"]]
        assert query["Database"] == "${ArchiveDatabase}" and query["WorkGroup"] == "${ArchiveWorkGroup}"
        assert re.search(r"\bFROM feedback\b", query["QueryString"])


SQL_WORDS = {
    "select", "from", "where", "and", "or", "not", "in", "is", "null", "as", "group", "by", "order", "asc", "desc",
    "limit", "distinct", "interval", "day", "over", "partition", "current_date",
}
SQL_FUNCTIONS = {
    "count", "coalesce", "split_part", "lower", "date_format", "row_number", "date_trunc", "from_iso8601_timestamp",
}


def _sql_names(query: str) -> set[str]:
    """The identifiers a query reads: not comments, literals, keywords, functions or the aliases it defines."""
    query = re.sub(r"--[^\n]*", "", query)
    query = re.sub(r"'[^']*'", "", query)
    aliases = {alias.lower() for alias in re.findall(r"\bAS\s+(\w+)", query, flags=re.IGNORECASE)}
    names = set()
    for match in re.finditer(r'"(\w+)"|\b([A-Za-z_]\w*)\b', query):
        name = (match.group(1) or match.group(2)).lower()
        if name in SQL_WORDS or name in aliases or name == "feedback":
            continue
        if match.group(2) and query[match.end():].lstrip().startswith("("):
            assert name in SQL_FUNCTIONS, f"unknown function {name}"
            continue
        names.add(name)
    return names


def test_archive_queries_read_only_columns_of_the_table(template: dict[str, Any]) -> None:
    table = _archive(template, "ArchiveTable")["Properties"]["TableInput"]
    columns = {c["Name"] for c in table["StorageDescriptor"]["Columns"]} | {k["Name"] for k in table["PartitionKeys"]}
    projected = set(table["Parameters"]["projection.eventtype.values"].split(","))
    for name, query in _athena_queries(template).items():
        sql = re.sub(r"--[^\n]*", "", query["QueryString"])
        assert sql.count("(") == sql.count(")") and sql.count("'") % 2 == 0, name
        unknown = _sql_names(sql) - columns
        assert not unknown, f"{name} reads {sorted(unknown)}, which are not columns"
        # Each filters on a partition that exists.
        for value in re.findall(r"eventtype (?:=|IN) \(?([^)\n]*)", sql):
            assert set(re.findall(r"'(\w+)'", value)) <= projected, name


def test_archive_reason_queries_use_the_derived_fields(template: dict[str, Any]) -> None:
    athena = _athena_queries(template)
    for insights_name, fields in REASON_QUERIES.items():
        assert {f.lower() for f in fields} <= _sql_names(athena["Archive" + insights_name]["QueryString"])


def test_archive_outputs_name_the_bucket_table_and_workgroup(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["ArchiveBucketName"]["Value"] == {"Ref": "ArchiveBucket"}
    assert outputs["ArchiveTableName"]["Value"] == {"Fn::Sub": "${ArchiveDatabase}.${ArchiveTable}"}
    assert outputs["ArchiveWorkGroupName"]["Value"] == {"Ref": "ArchiveWorkGroup"}
# ------------------------------------------------------------------------------------ several SES regions
# docs/regions.md: a "central" stack in the region of the feedback log group owns it; a "member" stack in
# another SES region writes into it. HERE is eu-west-1.

CENTRAL = {"FeedbackLogGroupRegion": "", "Suppress": "hard", "SuppressRegions": "eu-west-1,us-east-1"}
CENTRAL_NAMED = {**CENTRAL, "FeedbackLogGroupRegion": "eu-west-1"}
MEMBER = {"FeedbackLogGroupRegion": "us-east-1", "Suppress": "hard", "SuppressRegions": "eu-west-1,us-east-1"}
QUERY_RESOURCES = ["FeedbackLogGroup", *sorted(QUERIES)]


def _logs_grants(role: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (action, resource)
        for statement in _statements(role)
        for action in _as_list(statement["Action"])
        if action.startswith("logs:")
        for resource in _as_list(statement["Resource"])
    }


@pytest.mark.parametrize("source", ["template", "expanded"])
@pytest.mark.parametrize("central", [CENTRAL, CENTRAL_NAMED], ids=["group region empty", "group region named"])
def test_the_central_stack_owns_the_feedback_group_and_the_saved_queries(
    request: pytest.FixtureRequest, source: str, central: dict[str, str]
) -> None:
    tpl = request.getfixturevalue(source)
    deployment = _Deployment(tpl, pseudo=HERE, **central)
    deployed = deployment.resources()
    for name in QUERY_RESOURCES:
        assert name in deployed, f"the central stack has {name}"
    assert "FeedbackDashboard" in deployed
    grants = _logs_grants(deployed[_role_name(tpl)])
    group = "arn:aws:logs:eu-west-1:123456789012:log-group:"
    assert ("logs:PutLogEvents", group + "ses-feedback:log-stream:*") in grants
    assert ("logs:CreateLogGroup", group + "${FeedbackLogGroup}") in grants, "may recreate its own group"
    env = deployed["FeedbackFunction"]["Properties"]["Environment"]["Variables"]
    assert env["LOG_GROUP_NAME"] == "${FeedbackLogGroup}", "the function waits for the group it writes to"
    assert deployment.resolve(tpl["Outputs"]["FeedbackLogGroupRegion"]["Value"]) == "eu-west-1"


@pytest.mark.parametrize("source", ["template", "expanded"])
def test_a_member_stack_only_writes_into_the_central_group_in_its_region(
    request: pytest.FixtureRequest, source: str
) -> None:
    tpl = request.getfixturevalue(source)
    deployment = _Deployment(tpl, pseudo=HERE, **MEMBER)
    deployed = deployment.resources()
    for name in QUERY_RESOURCES:
        assert name not in deployed, f"a member stack has no {name}"
    assert "FeedbackDashboard" in deployed, "each region's stack keeps its own dashboard"
    grants = _logs_grants(deployed[_role_name(tpl)])
    central_streams = "arn:aws:logs:us-east-1:123456789012:log-group:ses-feedback:log-stream:*"
    own_streams = "arn:aws:logs:eu-west-1:123456789012:log-group:${FunctionLogGroup}:log-stream:*"
    assert grants == {
        ("logs:CreateLogStream", central_streams),
        ("logs:PutLogEvents", central_streams),
        ("logs:GetLogEvents", central_streams),
        ("logs:CreateLogStream", own_streams),
        ("logs:PutLogEvents", own_streams),
    }, "the central group's streams, in its region, and the function's own log; no CreateLogGroup"
    env = deployed["FeedbackFunction"]["Properties"]["Environment"]["Variables"]
    assert (env["LOG_GROUP_NAME"], env["LOG_GROUP_REGION"]) == ("ses-feedback", "us-east-1")
    outputs = tpl["Outputs"]
    assert deployment.resolve(outputs["FeedbackLogGroupName"]["Value"]) == "ses-feedback"
    assert deployment.resolve(outputs["FeedbackLogGroupRegion"]["Value"]) == "us-east-1"
    # The dashboard names only what this stack has.
    text = _dashboard_body_text(tpl, **MEMBER)
    for name in set(re.findall(r"\$\{([^}]+)\}", text)):
        assert name in tpl["Parameters"] or name in PSEUDO_PARAMETERS or name.split(".")[0] in deployed, name
    assert "ses-feedback** (in us-east-1)" in _Deployment(tpl, **MEMBER)._sub(text)
    assert "queries: in the stack of us-east-1, where the group is" in text
    assert "queries: **${AWS::StackName}/...**" in _dashboard_body_text(tpl, **CENTRAL)


@pytest.mark.parametrize("source", ["template", "expanded"])
@pytest.mark.parametrize(
    "regions, granted",
    [("", "eu-west-1"), ("us-east-1", ["us-east-1"]), ("eu-west-1,us-east-1,ap-southeast-2", ["eu-west-1", "us-east-1", "ap-southeast-2"])],
)
def test_suppression_is_granted_in_exactly_the_listed_regions(
    request: pytest.FixtureRequest, source: str, regions: str, granted: Any
) -> None:
    tpl = request.getfixturevalue(source)
    deployment = _Deployment(tpl, pseudo=HERE, Suppress="hard", SuppressRegions=regions)
    role = deployment.resource(_role_name(tpl))
    (statement,) = [s for s in _statements(role) if s["Action"] == "ses:PutSuppressedDestination"]
    assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": granted}}
    env = deployment.resource("FeedbackFunction")["Properties"]["Environment"]["Variables"]
    assert env["SUPPRESS_REGIONS"] == regions, "empty: the function's own region, as granted"


def test_region_parameters_take_region_names_only(template: dict[str, Any]) -> None:
    lists = re.compile(template["Parameters"]["SuppressRegions"]["AllowedPattern"])
    one = re.compile(template["Parameters"]["FeedbackLogGroupRegion"]["AllowedPattern"])
    for good in ["", "us-east-1", "us-gov-west-1", "cn-north-1"]:
        assert lists.fullmatch(good) and one.fullmatch(good), good
    assert lists.fullmatch("us-east-1,eu-west-1,ap-southeast-2")
    for bad in ["Ireland", "eu-west-1a", "us-east-1,", "us-east-1, eu-west-1", "EU-WEST-1", "eu-west"]:
        assert not lists.fullmatch(bad), bad
        assert not one.fullmatch(bad), bad
    assert not one.fullmatch("us-east-1,eu-west-1"), "one region for the group"
    for name in ("SuppressRegions", "FeedbackLogGroupRegion"):
        assert template["Parameters"][name]["Default"] == "", "default: the stack's own region"


@pytest.mark.parametrize(
    "parameters, refused",
    [
        ({"FeedbackLogGroupClass": "INFREQUENT_ACCESS", "FeedbackLogMasking": "on"}, "FeedbackLogMasking on needs"),
        ({"FeedbackLogMaskingFindingsLogGroup": "findings"}, "it needs FeedbackLogMasking on"),
        ({"FeedbackLogMasking": "on", "FeedbackLogGroupRegion": "eu-west-1"}, "are set on the stack that owns"),
        ({"FeedbackLogGroupClass": "INFREQUENT_ACCESS", "FeedbackLogGroupRegion": "eu-west-1"}, "are set on the stack that owns"),
        ({"ArchiveToS3": "true", "FeedbackLogGroupRegion": "eu-west-1"}, "ArchiveToS3 goes on the stack that owns"),
        ({"FeedbackLogGroupClass": "INFREQUENT_ACCESS", "FeedbackLogMaskingFindingsLogGroup": "findings"},
         "it needs FeedbackLogMasking on"),
    ],
)
def test_combinations_that_cannot_work_are_refused_before_anything_is_created(
    template: dict[str, Any], parameters: dict[str, str], refused: str
) -> None:
    violations = _Deployment(template, **parameters).rule_violations()
    assert any(refused in v for v in violations), violations


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize(
    "parameters",
    [{"FeedbackLogGroupClass": "INFREQUENT_ACCESS"}, {"FeedbackLogMasking": "on"},
     {"FeedbackLogMasking": "on", "FeedbackLogMaskingFindingsLogGroup": "findings"}],
)
def test_combinations_that_work_are_accepted(template: dict[str, Any], trigger: str, parameters: dict[str, str]) -> None:
    assert _Deployment(template, Trigger=trigger, **parameters).rule_violations() == []


def test_nothing_in_the_stack_needs_what_infrequent_access_lacks(template: dict[str, Any]) -> None:
    """Infrequent Access has no metric filters, subscription filters, Live Tail or masking, and its Logs
    Insights lacks pattern, diff, filterIndex and unmask: nothing in the stack may rely on them for the
    feedback group (masking is refused by a rule, and so is the archive's subscription filter)."""
    assert not _resources_of_type(template, "AWS::Logs::MetricFilter")
    for name, resource in _resources_of_type(template, "AWS::Logs::SubscriptionFilter").items():
        assert resource.get("Condition") == "ArchiveOn", name
    refused = _Deployment(template, FeedbackLogGroupClass="INFREQUENT_ACCESS", **ARCHIVE_ON).rule_violations()
    assert any("needs FeedbackLogGroupClass STANDARD" in v for v in refused), refused
    assert not _widgets(template, "log"), "the dashboard queries metrics, not the feedback group"
    for name, query in _resources_of_type(template, "AWS::Logs::QueryDefinition").items():
        text = query["Properties"]["QueryString"]
        for command in ("pattern", "diff", "filterIndex", "unmask"):
            assert not re.search(rf"(^|\|)\s*{command}\b", text, re.MULTILINE), (name, command)
