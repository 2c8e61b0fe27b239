"""moto's server, as local mode's AWS backend, with two behaviours of AWS that moto lacks:

- Step Functions names an execution started without `name` (a UUID, as AWS does); moto's
  interpreter leaves it empty, so every unnamed execution gets the ARN `…:None` and the second
  one collides with the first.
- An `arn:aws:states:::apigateway:invoke` task reaches API Gateway at
  `https://{ApiEndpoint}/{Stage}{Path}`; moto's interpreter sends it to
  `{ApiEndpoint}/{Stage}/_user_request_/{Path}` (its own REST API emulation). A task whose
  ApiEndpoint is an execute-api host is sent to the local gateway (WSFLOW_GATEWAY_HTTP) instead.

Run with the venv's Python as `python -c <this file> -H 127.0.0.1 -p PORT`.
"""

import os
import re
import sys
import uuid

from moto.server import main
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_api_gateway as api_gateway_task,
)
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

EXECUTE_API = re.compile(r"^(https?://)?[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com/?$")
GATEWAY = os.environ.get("WSFLOW_GATEWAY_HTTP", "").rstrip("/")

start_execution = StepFunctionsParserBackend.start_execution


def start_named_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
    return start_execution(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)


task = api_gateway_task.StateTaskServiceApiGateway
moto_invoke_url = task._invoke_url_of


def invoke_url(parameters):
    endpoint = parameters["ApiEndpoint"]
    if not (GATEWAY and EXECUTE_API.match(endpoint)):
        return moto_invoke_url(parameters)
    path = parameters.get("Path", "").lstrip("/")
    query = task._query_parameters_of(parameters) or ""
    return f"{GATEWAY}/{parameters.get('Stage', '')}/{path}{query}"


StepFunctionsParserBackend.start_execution = start_named_execution
task._invoke_url_of = staticmethod(invoke_url)
sys.exit(main())
