"""How a channel's answers map onto the sink runtime's error classes."""

from __future__ import annotations

from sinks.base import PermanentSinkError, TargetUnavailableError, TransientSinkError


class ChannelUnavailableError(TargetUnavailableError):
    """The channel did not answer (refused, timed out, 5xx): the runtime pauses until it does."""


class ChannelAuthError(TargetUnavailableError):
    """The channel refused our credentials (401/403): paused, not dead-lettered; fix the secret."""


class ChannelThrottledError(TransientSinkError):
    """The channel kept answering 429 longer than ``max_retry_after_s``: the batch is retried later."""


class ChannelRejectedError(PermanentSinkError):
    """The channel refused this request for good (404, 422): the events behind it are dead-lettered."""
