"""The base class of mlee's own errors: ``except mlee.errors.MleeError`` catches every error mlee raises on
purpose (bad input, unusable files, a sweep that cannot go on), each with a message naming the problem and
the fix. Each subclass also derives from the built-in exception its callers already catch (``ValueError``,
``OSError``, ...), so code written against those keeps working."""

from __future__ import annotations


class MleeError(Exception):
    """An error mlee raises on purpose; its message names the problem and the fix."""


class ConfigurationError(MleeError, ValueError):
    """A parameter with a value mlee cannot use; the message names the parameter (not a command-line flag)."""


__all__ = ["ConfigurationError", "MleeError"]
