"""Reads a CloudFormation or SAM template (JSON or YAML, short-form tags included) and prints
it as plain CloudFormation JSON, SAM templates expanded by AWS's own translator.

Run by local mode with the project venv's Python:
    python -c <this file> TEMPLATE REGION PARAMETERS_JSON
On success it prints the template; on failure it prints {"errors": ["…", …]} and exits 2.

The template is prepared as SAM CLI prepares one for `sam local`: a function's CodeUri (or the
Globals' one) that is a local path, or absent, names a folder relative to the template's; the
translator accepts only S3 locations, so each local path is replaced by a placeholder S3 location
before translating and recorded afterwards in the function's Metadata as `wsflow:code`. Local
state machine DefinitionUri files are inlined as Definition.
"""

import datetime
import json
import os
import sys

SERVERLESS = "AWS::Serverless-2016-10-31"
PLACEHOLDER_BUCKET = "wsflow-local-code"


def fail(*errors):
    print(json.dumps({"errors": [str(e) for e in errors]}))
    sys.exit(2)


def read(path):
    from samtranslator.yaml_helper import yaml_parse

    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        template = yaml_parse(text)
    except Exception as e:  # yaml.YAMLError carries the line and column
        fail(f"{path} is neither JSON nor YAML: {e}")
    if not isinstance(template, dict):
        fail(f"{path} is not a template: its top level is not a mapping")
    # YAML reads `AWSTemplateFormatVersion: 2010-09-09` as a date.
    return stringify_dates(template)


def stringify_dates(value):
    if isinstance(value, dict):
        return {k: stringify_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stringify_dates(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def is_serverless(template):
    transform = template.get("Transform")
    transforms = transform if isinstance(transform, list) else [transform]
    return SERVERLESS in transforms


def local_path(uri, base):
    """The folder or file a local CodeUri names, or None for an S3 location."""
    if isinstance(uri, str) and not uri.startswith("s3://"):
        return os.path.normpath(os.path.join(base, uri))
    return None


def replace_local_code(template, base):
    """Points every function with local code at a placeholder S3 location; returns
    {logical id: local path}."""
    globals_uri = template.get("Globals", {}).get("Function", {}).get("CodeUri")
    local = {}
    for logical_id, resource in template.get("Resources", {}).items():
        properties = resource.setdefault("Properties", {})
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function" and "InlineCode" not in properties:
            path = local_path(properties.get("CodeUri", globals_uri or "."), base)
            if path is not None:
                local[logical_id] = path
                properties["CodeUri"] = f"s3://{PLACEHOLDER_BUCKET}/{logical_id}"
        elif kind == "AWS::Serverless::StateMachine":
            inline_definition(properties, base)
    return local


def inline_definition(properties, base):
    path = local_path(properties.get("DefinitionUri"), base)
    if path is None:
        return
    from samtranslator.yaml_helper import yaml_parse

    with open(path, encoding="utf-8") as f:
        properties["Definition"] = yaml_parse(f.read())
    del properties["DefinitionUri"]


class NoIam:
    """Managed policy names resolve from the translator's bundled map; nothing asks IAM."""

    def load(self):
        return {}


def translate(template, parameters):
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform

    try:
        return transform(template, parameters, NoIam())
    except InvalidDocumentException as e:
        fail(*[cause.message for cause in e.causes])


def main():
    path, region, parameters = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    template = read(path)
    if not is_serverless(template):
        print(json.dumps(template))
        return
    local = replace_local_code(template, os.path.dirname(os.path.abspath(path)))
    translated = translate(template, parameters)
    for logical_id, code in local.items():
        resource = translated["Resources"].get(logical_id)
        if resource is not None:
            resource.setdefault("Metadata", {})["wsflow:code"] = code
    print(json.dumps(translated))


main()
