"""Exceptions with messages written for visitors, not developers."""


class UserError(Exception):
    """A problem the visitor can fix; ``str(err)`` is a sentence to show them as it is."""


class UploadError(UserError):
    """An uploaded file was refused; the message says why and what would work."""


class ConfigError(UserError):
    """A setting is out of range or contradicts another one."""


class TrainingDiverged(UserError):
    """The loss became NaN or exploded: the learning rate is usually too high."""


class Cancelled(Exception):
    """Raised inside a training job when the visitor pressed Stop (or it timed out)."""
