"""The one atomic text writer: a crash never leaves half a file."""
import os
import os.path as osp
import tempfile


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same
    directory and ``os.replace`` (atomic on POSIX and Windows); creates the
    directory."""
    path = osp.abspath(os.fspath(path))
    os.makedirs(osp.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(path), suffix='.tmp')
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
