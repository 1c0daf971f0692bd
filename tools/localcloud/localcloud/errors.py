"""AWS errors in each protocol's real wire format, so botocore (and retry logic) parse them as on AWS."""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus
from xml.sax.saxutils import escape

# JSON services with the awsQueryCompatible trait (their errors keep the query protocol's codes).
QUERY_COMPATIBLE = {"monitoring"}
_PHRASES = {status.value: status.phrase for status in HTTPStatus}


class AwsError(Exception):
    """Raised by a layer or hook to answer the request with an AWS error instead of moto's response."""

    def __init__(self, code: str, message: str, status: int = 400, sender: bool = True):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender


def render(error: AwsError, service: str, protocol: str) -> tuple[str, list[tuple[str, str]], bytes]:
    request_id = str(uuid.uuid4())
    status = f"{int(error.status)} {_PHRASES.get(int(error.status), 'Error')}"
    if protocol == "json":
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        headers = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", error.code),
        ]
        if service in QUERY_COMPATIBLE:  # botocore reads the query-protocol error code from this header
            headers.append(("x-amzn-query-error", f"{error.code};{'Sender' if error.sender else 'Receiver'}"))
        return status, headers, body
    if protocol == "rest":
        body = json.dumps({"Type": "User", "message": error.message}).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", error.code),
        ]
        return status, headers, body
    code, message = escape(error.code), escape(error.message)
    if service == "ec2":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    else:
        kind = "Sender" if error.sender else "Receiver"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode()
