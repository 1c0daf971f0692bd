# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception of the payments.auroradb service layer, and the error handlers built on amazon.aws.

Every helper in ``kms.py``, ``secretsmanager.py``, ``cloudwatch.py`` and ``rds.py`` raises; none fails the module.
A module catches once, in ``main()``::

    try:
        result = ensure_present(module, client)
    except AnsibleAWSError as e:  # ours (AuroraDbError) or amazon.aws's (AnsibleRDSError)
        if e.exception is None:  # a decision refused: bad value, stuck rotation, ...
            module.fail_json(msg=e.message, **e.kwargs)
        module.fail_json_aws_error(e)  # AWS answered with an error

"Not found" is not an error: the ``list_error_handler`` of each service returns a value (``None``, ``[]``).
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError


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
