"""Atomic file replacement: write beside the target, then rename over it.

A save that fails half-way (an exception, a full disk, a killed process before the rename)
leaves the previous file as it was; the rename itself is atomic on POSIX file systems and on
Windows (``os.replace``).
"""

import contextlib
import os
import secrets


def _temporary_name(target: str) -> str:
    folder, base = os.path.split(target)
    # hidden and unique; in the target's folder so the rename never crosses file systems
    return os.path.join(folder, f".{base}.{secrets.token_hex(6)}.tmp")


@contextlib.contextmanager
def replacing(target):
    """Yield a temporary path to write; on success it replaces ``target``, on error it goes.

    The temporary file is created empty (mode ``0o666`` less the umask, as ``open`` would
    make the target) so no other process can take its name; the writer may reopen it.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> target = os.path.join(folder, "a.txt")
    >>> with replacing(target) as tmp:
    ...     with open(tmp, "w") as f:
    ...         _ = f.write("new")
    >>> open(target).read(), os.listdir(folder)
    ('new', ['a.txt'])
    """
    target = os.fspath(target)
    tmp = _temporary_name(target)
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        yield tmp
        with open(tmp, "rb+") as f:  # the bytes reach the disk before the name points at them
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
