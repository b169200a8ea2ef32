"""One exception type for every user-facing failure.

Anything the user can fix (a missing file, a corrupt download, a bad option) raises
`CnnrnnError` with a one-line message that names the file or option and the problem.
The CLI prints that line and exits with status 2; it never shows a traceback for these.
"""


class CnnrnnError(Exception):
    """A problem the user can fix; str(err) is the whole message, one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))  # keep it on one line


def os_error_message(exc: OSError) -> str:
    """One line for an OSError: `PATH: reason` (the way `cnnrnn: error: ...` shows it).

    PermissionError, NotADirectoryError, IsADirectoryError, FileExistsError, a full disk, ... all
    end up here at the CLI boundary instead of as a traceback.
    """
    reason = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    if exc.filename is not None and exc.filename2 is not None:
        return f"{exc.filename} -> {exc.filename2}: {reason}"
    if exc.filename is not None:
        return f"{exc.filename}: {reason}"
    return f"{type(exc).__name__}: {reason}" if exc.strerror is None else reason
