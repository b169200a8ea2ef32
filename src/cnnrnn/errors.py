"""One exception type for every user-facing failure.

Anything the user can fix (a missing file, a corrupt download, a bad option) raises
`CnnrnnError` with a one-line message that names the file or option and the problem.
The CLI prints that line and exits with status 2; it never shows a traceback for these.
"""


class CnnrnnError(Exception):
    """A problem the user can fix; str(err) is the whole message, one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))  # keep it on one line
