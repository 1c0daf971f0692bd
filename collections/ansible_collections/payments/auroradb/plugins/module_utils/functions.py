# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lambda reads of the payments.auroradb checks: a function's configuration and its resource policy.

``client`` comes from ``module.client("lambda", retry_decorator=AWSRetry.jittered_backoff())``; every call passes
``aws_retry=True``; errors are raised as :class:`~.errors.AuroraDbError`; a missing function (or a function without
a resource policy) is ``None``. Read only: the secret role deploys the function with amazon.aws's modules.
"""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.payments.auroradb.plugins.module_utils.errors import error_handler

LambdaErrorHandler = error_handler("Lambda", ["ResourceNotFoundException"])


@LambdaErrorHandler.list_error_handler("read the configuration of Lambda function {name}", None)
def configuration(client, name: str) -> dict[str, Any] | None:
    """GetFunctionConfiguration's answer, or None when there is no such function."""
    answer = client.get_function_configuration(FunctionName=name, aws_retry=True)
    answer.pop("ResponseMetadata", None)
    return answer


@LambdaErrorHandler.list_error_handler("read the resource policy of Lambda function {name}", None)
def resource_policy(client, name: str) -> dict[str, Any] | None:
    """The function's resource policy as a dict, or None when it has none (or there is no such function)."""
    return json.loads(client.get_policy(FunctionName=name, aws_retry=True)["Policy"])
