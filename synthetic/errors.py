"""The one exception type for bad user input, shared by both command lines.

A :class:`UserInputError` is reported as one line and exit code 2 (ARCHITECTURE.md); any
other exception is a failure (exit code 1).
"""


class UserInputError(Exception):
    """Bad input or usage: a missing file, a wrong shape, a corrupt file, a photo with no face.

    The message must say what is wrong and where (file, field, expected vs. found).
    """
