#!/usr/bin/env python3
"""Expand the SAM template into plain CloudFormation, offline.

cfn-lint looks at AWS::Serverless::* resources only superficially; expanding them first with
aws-sam-translator (what CloudFormation's AWS::Serverless transform runs) and linting the result
catches a bad runtime, a misspelled IAM action or a wrong destination inside them.

No AWS call is made: local CodeUri paths are replaced by a dummy S3 URI (as `sam validate` does),
the managed-policy map is a stub instead of IAM's ListPolicies, the region comes from a boto3
Session built with an explicit region name (which reads no credentials and calls nothing), and no
plugin that fetches anything (AWS::Serverless::Application) is installed.

Usage: expand_template.py [TEMPLATE] [OUTPUT]      (defaults: template.yaml, stdout)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

REGION = "us-east-1"
DUMMY_CODE_URI = "s3://expand-template-dummy-bucket/code.zip"

# The only AWS managed policies SAM may attach on its own (the template uses its own role, so
# normally none); the real map comes from IAM, which this script must not call.
MANAGED_POLICY_STUB = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AWSLambdaRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "AWSXRayDaemonWriteAccess": "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
}


def _is_local(uri: Any) -> bool:
    return isinstance(uri, str) and not uri.startswith("s3://")


def replace_local_paths(template: dict[str, Any]) -> None:
    """Point local CodeUri/ContentUri/DefinitionUri at a dummy S3 object, as `sam validate` does."""
    function_globals = template.get("Globals", {}).get("Function", {})
    if _is_local(function_globals.get("CodeUri")):
        function_globals["CodeUri"] = DUMMY_CODE_URI
    for resource in template.get("Resources", {}).values():
        if not isinstance(resource, dict):
            continue
        props = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function" and props.get("PackageType", "Zip") == "Zip":
            if "CodeUri" not in props and "InlineCode" not in props and "CodeUri" not in function_globals:
                props["CodeUri"] = DUMMY_CODE_URI
            elif _is_local(props.get("CodeUri")):
                props["CodeUri"] = DUMMY_CODE_URI
        elif kind == "AWS::Serverless::LayerVersion" and _is_local(props.get("ContentUri")):
            props["ContentUri"] = DUMMY_CODE_URI
        elif kind in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::Serverless::StateMachine"):
            if _is_local(props.get("DefinitionUri")):
                props["DefinitionUri"] = DUMMY_CODE_URI


def expand(template_path: Path) -> dict[str, Any]:
    template = yaml_parse(template_path.read_text(encoding="utf-8"))
    replace_local_paths(template)
    translator = Translator(
        managed_policy_map=MANAGED_POLICY_STUB,
        sam_parser=Parser(),
        plugins=[],
        boto_session=boto3.session.Session(region_name=REGION),
    )
    return translator.translate(
        sam_template=template,
        parameter_values={},
        get_managed_policy_map=lambda: MANAGED_POLICY_STUB,
    )


def main(argv: list[str]) -> int:
    template_path = Path(argv[1]) if len(argv) > 1 else Path("template.yaml")
    try:
        expanded = expand(template_path)
    except InvalidDocumentException as exc:
        print(f"error: {template_path} is not a valid SAM template:", file=sys.stderr)
        for cause in exc.causes:
            print(f"  - {cause.message}", file=sys.stderr)
        return 1
    text = json.dumps(expanded, indent=2, sort_keys=False) + "\n"
    if len(argv) > 2:
        Path(argv[2]).parent.mkdir(parents=True, exist_ok=True)
        Path(argv[2]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
