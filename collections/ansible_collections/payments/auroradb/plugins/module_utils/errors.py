# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception of the payments.auroradb service layer, and the error handlers built on amazon.aws.

Every helper in ``kms.py``, ``secretsmanager.py``, ``cloudwatch.py`` and ``rds.py`` raises; none fails the module.
A module catches once, in ``main()``, ours (AuroraDbError) and amazon.aws's (AnsibleRDSError) alike, through
``run()``::

    run(module, "rds", ensure_present if module.params["state"] == "present" else ensure_absent)

"Not found" is not an error: the ``list_error_handler`` of each service returns a value (``None``, ``[]``).
"""

from __future__ import annotations

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class AuroraDbError(AnsibleAWSError):
    """Anything the service layer refuses or AWS refused.

    ``message`` says what; ``exception`` is the botocore error when AWS answered with one (else ``None``);
    ``kwargs`` are extra result keys for the failure (e.g. the stuck version of a rotation).
    """


def error_handler(service: str, missing_codes: list[str]) -> type[AWSErrorHandler]:
    """An ``AWSErrorHandler`` for ``service`` raising :class:`AuroraDbError`; ``missing_codes`` mean "not found"."""

    class Handler(AWSErrorHandler):
        _CUSTOM_EXCEPTION = AuroraDbError

        @classmethod
        def _is_missing(cls):
            return is_boto3_error_code(missing_codes)

    Handler.__name__ = Handler.__qualname__ = f"{service}ErrorHandler"
    return Handler


def failure(error: AnsibleAWSError) -> dict:
    """The ``fail_json`` arguments for an error of the service layer (what ``fail_json_aws`` would report).

    ``msg`` is the message, followed by AWS's answer when there was one; the botocore error response (code,
    request ID, ...) is added in snake case; the error's ``kwargs`` are added as result keys.
    """
    result = dict(error.kwargs)
    result["msg"] = str(error)
    response = getattr(error.exception, "response", None)
    if response:
        result.update(camel_dict_to_snake_dict(response))
    return result


def run(module, service, action):
    """Run ``action(module, client)`` with the service's retrying client; exit with its result or fail once.

    The client retries throttling and server errors with jittered backoff (``aws_retry=True`` on each call).
    """
    client = module.client(service, retry_decorator=AWSRetry.jittered_backoff())
    try:
        result = action(module, client)
    except AnsibleAWSError as e:
        module.fail_json(**failure(e))
    module.exit_json(**result)
