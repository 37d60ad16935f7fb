"""Run Lambda handlers in-process in place of moto's Docker-based invocation.

moto invokes a function through ``LambdaFunction._invoke_lambda``, which starts a Docker container. Here that
method is replaced (for the lifetime of an :class:`InProcessLambda`) by one that imports the handler named in the
function's ``Handler`` property from the function's code asset directory in ``cdk.out``, sets the function's
environment variables (as the Lambda runtime would, plus its standard ones) while it runs, and calls it with a
Lambda-context-like object. A raised exception is reported the way the Lambda service reports it: a function error
whose payload is ``{"errorMessage", "errorType", "requestId", "stackTrace"}``, so Step Functions names the error
after the exception class and ``Retry``/``Catch`` on e.g. ``AwsTransientError`` behave as deployed.

Each :class:`InProcessLambda` imports each function's code afresh (a cold start) and keeps its modules for its lifetime
(warm invocations, so module-level caches persist between calls as in one container, and are never shared between
functions); the interpreter's own copies of those module names are put back afterwards. The clients a handler
creates act as the function's role: :mod:`gt3d.local_iam` authorizes their calls against its policies.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

from moto.awslambda.models import LambdaFunction

from gt3d.local_iam import acting_as


@dataclass(frozen=True, slots=True)
class FunctionCode:
    """Where a function's code lives and how it is configured (from the synthesized template)."""

    function_name: str
    handler: str
    code_directory: Path | None
    environment: dict[str, str]
    memory_size: int = 128
    timeout_seconds: int = 3
    runtime: str = "python3.13"


@dataclass(frozen=True, slots=True)
class Invocation:
    """One in-process invocation, for progress displays and tests."""

    function_name: str
    event: Any
    result: Any
    error_type: str | None
    duration_seconds: float
    logs: str


@dataclass
class LambdaContext:
    """The attributes of the Lambda runtime's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def get_remaining_time_in_millis(self) -> int:
        """Return the milliseconds left before the function's configured timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _LogStream(io.TextIOBase):
    """Stands in for stdout while handlers run: their log lines go to the current invocation's buffer.

    Loggers created during an invocation keep a reference to this stream, so it is one long-lived object that
    forwards to whichever buffer is current (or to stderr when echoing).
    """

    def __init__(self) -> None:
        super().__init__()
        self.buffer_: io.StringIO | None = None
        self.echo: Callable[[str], None] | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.buffer_ is not None:
            self.buffer_.write(text)
        if self.echo is not None:
            self.echo(text)
        return len(text)


_LOG_STREAM = _LogStream()


class _CodeAsset:
    """The modules of one code directory, swapped into ``sys.modules`` only while its handlers run."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.top_level = {path.stem for path in directory.glob("*.py")} | {
            path.name for path in directory.iterdir() if path.is_dir() and (path / "__init__.py").is_file()
        }
        self.modules: dict[str, ModuleType] = {}

    def _ours(self, name: str) -> bool:
        return name.split(".", 1)[0] in self.top_level

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        saved = {name: module for name, module in sys.modules.items() if self._ours(name)}
        for name in saved:
            del sys.modules[name]
        sys.modules.update(self.modules)
        sys.path.insert(0, str(self.directory))
        write_bytecode = sys.dont_write_bytecode
        sys.dont_write_bytecode = True  # leave cdk.out as synthesized
        try:
            yield
        finally:
            sys.dont_write_bytecode = write_bytecode
            with contextlib.suppress(ValueError):
                sys.path.remove(str(self.directory))
            self.modules = {name: module for name, module in sys.modules.items() if self._ours(name)}
            for name in self.modules:
                del sys.modules[name]
            sys.modules.update(saved)


class InProcessLambda:
    """Replace moto's Lambda invocation with in-process calls of the registered functions' real handlers."""

    def __init__(self, *, region: str, account: str, echo_logs: Callable[[str], None] | None = None) -> None:
        self.region = region
        self.account = account
        self.functions: dict[str, FunctionCode] = {}
        self.invocations: list[Invocation] = []
        self.echo_logs = echo_logs
        self._assets: dict[str, _CodeAsset] = {}
        self._lock = threading.Lock()
        self._holds: list[HeldInvocations] = []
        self._patch = mock.patch.object(LambdaFunction, "_invoke_lambda", self._patched_invoke())

    def register(self, code: FunctionCode) -> None:
        """Make ``code`` the implementation of the moto function of the same name."""
        self.functions[code.function_name] = code

    def __enter__(self) -> InProcessLambda:
        self._patch.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._patch.stop()
        self._assets.clear()

    def _patched_invoke(self) -> Callable[..., tuple[str, bool, str]]:
        runtime = self

        def _invoke_lambda(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            return runtime.invoke(function, event)

        return _invoke_lambda

    def invoke(self, function: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        """Run one invocation; return moto's ``(payload, errored, logs)``."""
        code = self.functions.get(function.function_name)
        holds = [hold for hold in self._holds if code is not None and hold.handler == code.handler]
        with contextlib.ExitStack() as held:
            for hold in holds:
                held.enter_context(hold.gate())
            with self._lock:  # one invocation at a time: the environment and sys.modules are process-wide
                return self._invoke(function, event)

    @contextlib.contextmanager
    def holding(self, handler: str) -> Iterator[HeldInvocations]:
        """Hold every invocation of a function whose handler is ``handler`` before it runs, until the block ends.

        While invocations are held and no other runs, nothing of a function's environment, modules or stdout is
        swapped in: the caller can act on the process (create clients, run a command) as a user would between two
        invocations. On leaving, the held invocations run, and the block ends once they have.
        """
        hold = HeldInvocations(handler)
        self._holds.append(hold)
        try:
            yield hold
        finally:
            self._holds.remove(hold)
            hold.release()

    def _invoke(self, function: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        request_id = str(uuid.uuid4())
        code = self.functions.get(function.function_name)
        started = time.monotonic()
        buffer = io.StringIO()
        payload: Any
        error_type: str | None = None
        try:
            if code is None or code.code_directory is None:
                raise _RuntimeError(
                    "Runtime.ImportModuleError",
                    f"Function {function.function_name} has no code asset directory the runner can import.",
                )
            event = json.loads(json.dumps(event if event is not None else {}))  # as serialized by the service
            context = LambdaContext(
                function_name=code.function_name,
                memory_limit_in_mb=code.memory_size,
                invoked_function_arn=function.function_arn,
                aws_request_id=request_id,
                log_group_name=f"/aws/lambda/{code.function_name}",
                log_stream_name=f"local/[$LATEST]{request_id.replace('-', '')}",
                _deadline=started + code.timeout_seconds,
            )
            # Clients the handler creates act as the function's role (gt3d.local_iam), as its credentials would.
            with self._environment(code, request_id), self._captured(buffer), acting_as(function.role):
                result = self._handler(code)(event, context)
            payload = json.dumps(result)
        except _RuntimeError as error:
            error_type = error.error_type
            payload = self._error_payload(error_type, str(error), request_id, error)
        except Exception as error:  # the Lambda service reports every handler exception as a function error
            error_type = type(error).__name__
            if isinstance(error, TypeError | ValueError) and "JSON serializable" in str(error):
                error_type = "Runtime.MarshalError"
            payload = self._error_payload(error_type, str(error), request_id, error)
        logs = buffer.getvalue()
        self.invocations.append(
            Invocation(
                function_name=function.function_name,
                event=event,
                result=json.loads(payload),
                error_type=error_type,
                duration_seconds=time.monotonic() - started,
                logs=logs,
            )
        )
        return payload, error_type is not None, logs

    @staticmethod
    def _error_payload(error_type: str, message: str, request_id: str, error: BaseException) -> str:
        # Like the Lambda runtime, show only the function's own frames, not the runtime's.
        frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename != __file__]
        stack = traceback.format_list(frames)
        return json.dumps(
            {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
        )

    def _handler(self, code: FunctionCode) -> Callable[[Any, Any], Any]:
        module_name, _, attribute = code.handler.rpartition(".")
        if not module_name:
            raise _RuntimeError("Runtime.MalformedHandlerName", f"Bad handler '{code.handler}': missing module name")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise _RuntimeError(
                "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
            ) from error
        handler = getattr(module, attribute, None)
        if handler is None:
            raise _RuntimeError("Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module '{module_name}'")
        return handler  # type: ignore[no-any-return]

    @contextlib.contextmanager
    def _environment(self, code: FunctionCode, request_id: str) -> Iterator[None]:
        assert code.code_directory is not None
        # One set of modules per function, as each function has its own sandbox: module-level clients (created as
        # the function's role) are never shared with another function that happens to use the same code asset.
        asset = self._assets.setdefault(code.function_name, _CodeAsset(code.code_directory))
        variables = {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_LAMBDA_FUNCTION_NAME": code.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(code.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{code.function_name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{code.runtime}",
            "LAMBDA_TASK_ROOT": str(code.code_directory),
            "_HANDLER": code.handler,
            "_X_AMZN_TRACE_ID": f"Root=1-{request_id[:8]}-{request_id.replace('-', '')[:24]};Sampled=0",
            **code.environment,
        }
        saved = {name: os.environ.get(name) for name in variables}
        os.environ.update(variables)
        try:
            with asset.active():
                yield
        finally:
            # Key by key, never clear(): other threads (the runner, the engine) read the environment meanwhile,
            # and an empty one for an instant would lose them their credentials.
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    @contextlib.contextmanager
    def _captured(self, buffer: io.StringIO) -> Iterator[None]:
        _LOG_STREAM.buffer_ = buffer
        _LOG_STREAM.echo = self.echo_logs
        try:
            with contextlib.redirect_stdout(_LOG_STREAM):
                yield
        finally:
            _LOG_STREAM.buffer_ = None
            _LOG_STREAM.echo = None


class HeldInvocations:
    """Invocations of one handler, held before they run (see :meth:`InProcessLambda.holding`)."""

    def __init__(self, handler: str) -> None:
        self.handler = handler
        self._changed = threading.Condition()
        self._waiting = 0
        self._running = 0
        self._released = False

    def wait_for(self, count: int, *, timeout_seconds: float = 120.0) -> None:
        """Return once ``count`` invocations are held; ``timeout_seconds`` is only a safety net."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._waiting >= count, timeout_seconds):
                raise TimeoutError(f"{self._waiting} of {count} invocations of {self.handler} are held")

    @contextlib.contextmanager
    def gate(self) -> Iterator[None]:
        """Wait here until released; the release waits in turn until the invocation is over."""
        with self._changed:
            self._waiting += 1
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._released)
            self._waiting -= 1
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def release(self) -> None:
        """Let the held invocations run, and return once they are over."""
        with self._changed:
            self._released = True
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._waiting == 0 and self._running == 0)


class _RuntimeError(Exception):
    """An error of the Lambda runtime itself (import failure, bad handler), reported under its own name."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
