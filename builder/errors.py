"""Errors the CLI turns into one clear line on stderr and exit code 2."""


class BuilderError(Exception):
    """Bad usage or unusable input: reported as one line, exit code 2."""

    exit_code = 2


class ConfigError(BuilderError):
    """The config file is missing, unparsable, or holds an unknown or ill-typed field."""
