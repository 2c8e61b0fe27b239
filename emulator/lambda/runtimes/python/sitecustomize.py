"""Imported by Python at start in local mode's Python functions (it is on their PYTHONPATH).

A function that builds `https://{apiId}.execute-api.{region}.amazonaws.com/...` itself cannot
reach the local gateway (that host is AWS's): say so once per host, naming the function.
"""

import os
import re
import socket
import sys

_EXECUTE_API = re.compile(r"^[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com$")
_reported = set()
_getaddrinfo = socket.getaddrinfo


def _getaddrinfo_reporting_execute_api(host, *args, **kwargs):
    if isinstance(host, str) and _EXECUTE_API.match(host) and host not in _reported:
        _reported.add(host)
        print(
            f"wsflow dev: function {os.environ.get('AWS_LAMBDA_FUNCTION_NAME')} tried https://{host}, "
            "which local mode cannot serve: take the @connections URL from a template variable "
            "(local mode points those at the local gateway) instead of building it from the event",
            file=sys.stderr,
        )
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo_reporting_execute_api
