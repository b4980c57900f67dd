"""Errors the auditor reports to its user as one line, never as a traceback."""


class AuditorError(Exception):
    """A problem with the user's input or configuration; the CLI prints it and exits 2.

    The message is one line and says where (file, row or line) and what to do.
    """


class InputError(AuditorError):
    """An input file cannot be read as a whole."""


class RulesError(AuditorError):
    """A rules or taxonomy file is invalid."""
