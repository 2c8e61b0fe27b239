"""moto's server, as local mode's AWS backend, with behaviours of AWS that moto lacks:

- Step Functions names an execution started without `name` (a UUID, as AWS does); moto's
  interpreter leaves it empty, so every unnamed execution gets the ARN `…:None` and the second
  one collides with the first.
- An `arn:aws:states:::apigateway:invoke` task reaches API Gateway at
  `https://{ApiEndpoint}/{Stage}{Path}`; moto's interpreter sends it to
  `{ApiEndpoint}/{Stage}/_user_request_/{Path}` (its own REST API emulation). A task whose
  ApiEndpoint is an execute-api host is sent to the local gateway (WSFLOW_GATEWAY_HTTP) instead.
  Moto 5.2.5's task also drops every parameter but ApiEndpoint and Method, fails before
  sending anything (its `_eval_service_task` and `_from_error` predate the interpreter's
  current signatures), and reads the answer's `Content-Length` header case-sensitively (HTTP
  header names are case-insensitive; the gateway sends them lower-case) and fails on an empty
  body (what @connections answers): adapted here.
- SQS hands out a FIFO group to one receiver at a time and from its first message. Moto's
  receive is not atomic (two concurrent receives both see a group free and split it between
  them, so its later messages are worked on beside its earlier ones), and it notices expired
  holds one message at a time while it scans (so a group's later message can be handed out
  before its earlier one). Here receives scan one at a time, after dropping every expired hold;
  long polling waits outside that lock. Each receive also reads the clock once: a batch's holds
  expire within a millisecond of each other, and a receive that saw the first of them expired
  but not the last skipped the group's first messages (its later ones still held) and then,
  the later ones expiring during the scan, handed those out: the group split across two
  batches, its later messages answered first (`make chaos`, the poller's debug log).
- moto's SQS reads the clock through datetime arithmetic, about 8 µs a call, and calls it for
  every queued message on every send and receive: a 1,000-message queue took 70 s to fill.
  Its SQS models read `time.time()` instead (the same epoch milliseconds).
- moto computes a queue's three message counts (each a scan of every message) whenever any
  attribute of the queue is read: four times for each message sent and three for each message
  received, so its cost per message grew with the queue (4 ms a message at 1,000 queued). Here
  only GetQueueAttributes counts, and the retention check reads the retention period directly.
  Each of those reads also turns every attribute name from CamelCase into snake_case, character
  by character: six reads of 18 names for each message sent, 95 % of a send (a batch of 10 took
  25 ms, 1.8 ms with each name's conversion kept).
- moto's server finds each request's backend by listing its own package directory (a `stat` of
  every service folder) and matching the host against hundreds of URL patterns, under one lock:
  most of its work for a small request. Both depend on the host alone, so they are kept.
- Its HTTP server logs every request to stderr, under a lock all request threads share: a fifth
  of moto's time while the queue worker ran (py-spy). Local mode reads that stream only to
  explain a failed start, so requests are not logged; warnings and errors still are.

Run with the venv's Python as `python -c <this file> -H 127.0.0.1 -p PORT`.
"""

import functools
import logging
import os
import re
import sys
import threading
import time
import uuid

from moto.server import main
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_api_gateway as api_gateway_task,
)
import moto.backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
import moto.sqs.models as sqs_models
from moto.sqs.models import Queue, SQSBackend
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


moto_eval = task._eval_service_task


def eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials=None):
    return moto_eval(self, env, resource_runtime_part, normalised_parameters, state_credentials)


moto_invoke_output = task._invoke_output_of


def invoke_output(response):
    if not response.content:
        response._content = b"{}"
    response.headers["Content-Length"] = response.headers.get("Content-Length", str(len(response.content)))
    return moto_invoke_output(response)


def from_error(self, env, ex):
    """A failed call is the task's error `ApiGateway.{status}` (or `ApiGateway.{exception}`)."""
    response = getattr(ex, "response", None)
    if isinstance(ex, api_gateway_task.SfnGatewayException) and response is not None:
        error, cause = f"ApiGateway.{response.status_code}", response.text
    else:
        error, cause = f"ApiGateway.{ex.__class__.__name__}", str(ex)
    details = TaskFailedEventDetails(
        error=error, cause=cause, resource=self._get_sfn_resource(), resourceType=self._get_sfn_resource_type()
    )
    return FailureEvent(
        env=env,
        error_name=CustomErrorName(error),
        event_type=HistoryEventType.TaskFailed,
        event_details=EventDetails(taskFailedEventDetails=details),
    )


moto_unix_time_millis = sqs_models.unix_time_millis


# A receive reads the clock once: see receive_in_group_order.
frozen = threading.local()


def unix_time_millis(dt=None):
    if dt is not None:
        return moto_unix_time_millis(dt)
    return getattr(frozen, "now", None) or time.time() * 1000.0


sqs_models.unix_time_millis = unix_time_millis
moto_receive_message = SQSBackend.receive_message
receive_lock = threading.Lock()


def receive_in_group_order(self, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names=None):
    queue = self.get_queue(queue_name)
    deadline = time.time() + (wait_seconds_timeout or 0)
    while True:
        with receive_lock:
            frozen.now = time.time() * 1000.0
            try:
                for message in [m for m in queue.pending_messages if m.visible]:
                    queue.pending_messages.remove(message)
                messages = moto_receive_message(self, queue_name, count, 0, visibility_timeout, message_attribute_names)
            finally:
                frozen.now = None
        left = deadline - time.time()
        if messages or left <= 0:
            return messages
        # Returns at once while a blocked group has visible messages: the pause keeps the
        # poll from spinning (each receive scans the whole queue).
        queue.wait_for_messages(min(1.0, left))
        time.sleep(min(0.1, max(left, 0)))


SQSBackend.receive_message = receive_in_group_order
counting = threading.local()
moto_get_queue_attributes = SQSBackend.get_queue_attributes


def counted_only_when_asked(count):
    return property(lambda queue: count.fget(queue) if getattr(counting, "active", False) else 0)


for name in ("approximate_number_of_messages", "approximate_number_of_messages_delayed",
             "approximate_number_of_messages_not_visible"):
    setattr(Queue, name, counted_only_when_asked(getattr(Queue, name)))


def get_queue_attributes_counted(self, *args, **kwargs):
    counting.active = True
    try:
        return moto_get_queue_attributes(self, *args, **kwargs)
    finally:
        counting.active = False


def retained(self, queue_name, message):
    retention_seconds = int(self.get_queue(queue_name).message_retention_period)
    return retention_seconds + message.sent_timestamp / 1000 > time.time()


SQSBackend.get_queue_attributes = get_queue_attributes_counted
sqs_models.camelcase_to_underscores = functools.lru_cache(maxsize=None)(sqs_models.camelcase_to_underscores)
moto_modules = tuple(moto.backends.list_of_moto_modules())
moto.backends.list_of_moto_modules = lambda: moto_modules
DomainDispatcherApplication.get_backend_for_host = functools.lru_cache(maxsize=None)(
    DomainDispatcherApplication.get_backend_for_host
)
SQSBackend.is_message_valid_based_on_retention_period = retained
StepFunctionsParserBackend.start_execution = start_named_execution
task._SUPPORTED_API_PARAM_BINDINGS = {"invoke": set(api_gateway_task.TaskParameters.__annotations__)}
task._invoke_url_of = staticmethod(invoke_url)
task._eval_service_task = eval_service_task
task._from_error = from_error
task._invoke_output_of = staticmethod(invoke_output)
logging.getLogger("werkzeug").setLevel(logging.WARNING)
sys.exit(main())
