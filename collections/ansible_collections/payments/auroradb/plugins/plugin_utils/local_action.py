# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base of the action plugins that run a module's own code in the controller's worker on a local connection.

Starting a module costs about a second of CPU (a Python process, its module_utils unpacked from a zip and compiled
again on every run). A module that makes no AWS call and only touches files of the host it runs on can skip that
when the host *is* the controller (connection ``local``, how this collection's inventories run: AWS is called from
the controller): its action plugin validates the task's arguments with the module's own argument spec and calls
the module's own function from module_utils. On any other connection the module runs on its host as usual.

The AWS modules of the collection do the same (LocalAWSModuleAction): their main() runs in the worker, with an
in-process stand-in for AnsibleModule under AnsibleAWSModule; their AWS calls are unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import json

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.json import Direction, get_module_decoder, get_module_encoder
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

try:
    import botocore.exceptions
    import botocore.loaders
    import botocore.session
except ImportError:  # the AWS modules then fail with amazon.aws's own message on the missing botocore
    HAS_BOTOCORE = False
else:
    HAS_BOTOCORE = True

LOCAL_TRANSPORT = "local"  # the transport of ansible.builtin.local

# The AWS services the roles call (the collection's modules and the amazon.aws modules they use)
SDK_SERVICES = ("cloudwatch", "ec2", "iam", "kms", "lambda", "logs", "rds", "secretsmanager", "sns", "ssm", "sts")
_PLACEHOLDER_CREDENTIALS = {"aws_access_key_id": "preload", "aws_secret_access_key": "preload"}  # never sent
_SDK_LOADERS: dict = {}  # botocore data path -> the process's one data loader for it


def shared_sdk_loader(search_path_string=None):
    """botocore's data loader for a data path, one per process instead of one per client session.

    A loader keeps every file it has read (service models, endpoint rules, partitions, paginators); a botocore
    session makes a new loader, so each AWS client of each task read and parsed its service's JSON again - most of
    the CPU of a short AWS task. The controller reads them once (:func:`preload_sdk_data`) before the workers fork,
    and every worker's sessions use that loader (:func:`_shared_sdk_data`). What is read is botocore's own data,
    the same for every session with the same data path; nothing a session or its credentials set is kept.
    """
    loader = _SDK_LOADERS.get(search_path_string)
    if loader is None:
        loader = _SDK_LOADERS[search_path_string] = botocore.loaders.create_loader(search_path_string)
    return loader


@contextlib.contextmanager
def _shared_sdk_data():
    """While a module runs in the worker, new botocore sessions take :func:`shared_sdk_loader`'s loader."""
    if not HAS_BOTOCORE:
        yield
        return
    saved = botocore.session.create_loader
    botocore.session.create_loader = shared_sdk_loader
    try:
        yield
    finally:
        botocore.session.create_loader = saved


def preload_sdk_data(services=SDK_SERVICES, region="us-east-1") -> None:
    """Read botocore's data for ``services`` into the shared loader, as the modules' clients will ask for it: a client
    of each (no call is made; placeholder credentials so that no credential lookup runs), its paginators and waiters.
    Meant for the controller process, before it forks the workers."""
    if not HAS_BOTOCORE:
        return
    with _shared_sdk_data():
        session = botocore.session.Session()
        for service in services:
            client = session.create_client(service, region_name=region, **_PLACEHOLDER_CREDENTIALS)
            model = client.meta.service_model
            with contextlib.suppress(botocore.exceptions.DataNotFoundError):  # as client.can_paginate() reads it
                session.get_component("data_loader").load_service_model(service, "paginators-1", model.api_version)
            client.waiter_names  # noqa: B018 - reading it loads the waiter model (or finds there is none)


class LocalActionFailed(Exception):
    """The module would fail_json: ``args[0]`` is the message, ``extra`` the other result keys."""

    def __init__(self, msg, **extra):
        super().__init__(msg)
        self.extra = extra


class LocalModuleAction(ActionBase):
    """Subclasses set ARGUMENT_SPEC (the module's) and implement compute(params) -> the module's result dict.

    compute() fails the task by raising LocalActionFailed, or one of ERRORS (the module's own exception types, whose
    message is the module's fail_json message).
    """

    TRANSFERS_FILES = False
    ARGUMENT_SPEC: dict = {}
    ERRORS: tuple = ()

    def compute(self, params: dict) -> dict:
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if self._connection.transport != LOCAL_TRANSPORT:
            result.update(self._execute_module(task_vars=task_vars))
            return result
        checked = ArgumentSpecValidator(self.ARGUMENT_SPEC).validate(self._task.args)
        if checked.error_messages:
            result.update(failed=True, msg="; ".join(checked.error_messages))
            return result
        try:
            result.update(self.compute(checked.validated_parameters))
        except LocalActionFailed as exc:
            result.update(exc.extra, failed=True, msg=str(exc))
        except self.ERRORS as exc:
            result.update(failed=True, msg=str(exc))
        return result


class ModuleExited(Exception):
    """Raised by the in-worker stand-in of AnsibleModule where the module would exit: ``args[0]`` is its result."""


class _WorkerModule:
    """What AnsibleAWSModule uses of AnsibleModule, for a module whose main() runs in the controller's worker.

    The task's arguments are validated with the module's own spec and constraints (as AnsibleModule does), values of
    ``no_log`` options are collected, and exit_json / fail_json end main() with :class:`ModuleExited` instead of
    printing JSON and leaving the process.
    """

    def __init__(
        self,
        task,
        argument_spec,
        supports_check_mode=False,
        mutually_exclusive=None,
        required_together=None,
        required_one_of=None,
        required_if=None,
        required_by=None,
    ):
        self._name = task.name
        self.check_mode = task.check_mode
        self._diff = task.diff
        self._warnings, self._deprecations = [], []
        if self.check_mode and not supports_check_mode:
            raise ModuleExited({"skipped": True, "changed": False, "msg": "The module does not support check mode"})
        checked = ArgumentSpecValidator(
            argument_spec,
            mutually_exclusive=mutually_exclusive,
            required_together=required_together,
            required_one_of=required_one_of,
            required_if=required_if,
            required_by=required_by,
        ).validate(task.args)
        self.no_log_values = set(checked._no_log_values)
        self.params = checked.validated_parameters
        if checked.error_messages:
            self.fail_json(msg="; ".join(checked.error_messages))

    def warn(self, warning):
        self._warnings.append(warning)

    def deprecate(self, msg, version=None, date=None, collection_name=None):
        self._deprecations.append({"msg": msg, "version": version, "date": date, "collection_name": collection_name})

    def debug(self, msg):
        pass

    def boolean(self, arg):
        return boolean(arg, strict=False)

    def exit_json(self, **kwargs):
        self._exit(kwargs)

    def fail_json(self, msg, **kwargs):
        self._exit({**kwargs, "failed": True, "msg": msg})

    def _exit(self, result):
        if self._warnings:
            result["warnings"] = result.get("warnings") or self._warnings
        if self._deprecations:
            result["deprecations"] = self._deprecations
        raise ModuleExited(remove_values(result, self.no_log_values))


class WorkerTask:
    """What a module run needs to know of its task: name, arguments, check and diff mode."""

    def __init__(self, name, args, check_mode, diff):
        self.name, self.args, self.check_mode, self.diff = name, args, check_mode, diff


def run_main_in_worker(main, task: WorkerTask) -> dict:
    """Run an AnsibleAWSModule-based module's ``main()`` in this process and return the result it exits with.

    AnsibleAWSModule builds its AnsibleModule from the class in ``default_settings["module_class"]``; for the
    duration of the call that is :class:`_WorkerModule`. AWS clients are made exactly as in the module process
    (the module's own connection arguments and the same environment variables), only no new Python process starts.
    """
    # the arguments as the module process would receive them: plain JSON values, without the controller's tags
    encoded = json.dumps(task.args, cls=get_module_encoder("legacy", Direction.CONTROLLER_TO_MODULE))
    task = WorkerTask(
        task.name,
        json.loads(encoded, cls=get_module_decoder("legacy", Direction.CONTROLLER_TO_MODULE)),
        task.check_mode,
        task.diff,
    )
    settings = AnsibleAWSModule.default_settings
    saved = settings["module_class"]
    settings["module_class"] = functools.partial(_WorkerModule, task)
    try:
        with _shared_sdk_data():
            main()
    except ModuleExited as exited:
        # what the module process would print, read back as the controller reads it (e.g. datetimes as strings)
        encoded = json.dumps(exited.args[0], cls=get_module_encoder("legacy", Direction.MODULE_TO_CONTROLLER))
        return json.loads(encoded, cls=get_module_decoder("legacy", Direction.MODULE_TO_CONTROLLER))
    finally:
        settings["module_class"] = saved
    raise RuntimeError(f"{task.name}: main() returned without exit_json or fail_json")


class LocalAWSModuleAction(ActionBase):
    """Action plugin of one of this collection's AWS modules: ``MODULE`` (the module's Python module) runs its main()
    in the controller's worker on a local connection, as its own process on any other.

    The AWS calls are the module's own: the same code, client settings and retries; what is saved is the module
    process (a Python start and the module_utils compiled again from a zip, most of a second per task). boto3 and
    the module's code are imported once by the controller, when the strategy loads this plugin, so each worker
    forked for a task finds them already loaded. A task with ``async`` runs the module as its own process.
    """

    TRANSFERS_FILES = False
    _supports_async = True
    MODULE = None

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if self._connection.transport != LOCAL_TRANSPORT or self._task.async_val:
            # the module's own process: on its host, or in the background for async
            result.update(self._execute_module(task_vars=task_vars, wrap_async=self._task.async_val))
            return result
        task = WorkerTask(
            self.MODULE.__name__.rsplit(".", 1)[-1],
            dict(self._task.args),
            bool(self._play_context.check_mode),
            bool(self._play_context.diff),
        )
        result.update(run_main_in_worker(self.MODULE.main, task))
        return result
