"""Where the custom resource provider reaches LocalStack's CloudFormation engine.

LocalStack's engine decides a replacement before calling a provider (from the type's schema),
and runs a failed stack's rollback only as the actions deferred to its end. CloudFormation
decides a custom resource's replacement from the answer (a new PhysicalResourceId) and sends
Delete in the cleanup phase, or in the rollback. So the engine's executor is kept per thread
while it runs a resource's action, and the provider defers those Deletes onto it, to run when
LocalStack runs its own cleanup.
"""

import threading

_current = threading.local()


def follow(executor_class):
    """Wraps the engine's per-resource action so the provider can find its executor."""
    original = executor_class._execute_resource_action
    if getattr(original, "_cidrwatch_bed", False):
        return

    def wrapped(self, *args, **kwargs):
        _current.executor = self
        try:
            return original(self, *args, **kwargs)
        finally:
            _current.executor = None

    wrapped._cidrwatch_bed = True
    executor_class._execute_resource_action = wrapped


def rolling_back(status):
    return "ROLLBACK" in status


def not_rolling_back(status):
    return "ROLLBACK" not in status


def defer(name, action, when=lambda status: True):
    """Runs `action` when the engine runs its deferred actions (cleanup or rollback), if
    `when` holds for the stack's status by then."""
    executor = getattr(_current, "executor", None)
    if executor is None:
        raise RuntimeError("the custom resource provider ran outside the engine's executor")
    stack = executor._change_set.stack
    executor._defer_action(name, lambda: when(str(stack.status)) and action())
