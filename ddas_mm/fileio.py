"""Files that readers never see half-written."""
import json
import os
import os.path as osp
import tempfile


def write_atomically(path: str, text: str) -> None:
    """Write a text file atomically (temp file + ``os.replace``).

    Readers (a retraining started meanwhile, a plotting tool, a resumed
    experiment) see either the previous file or the new one, never a
    partial write; a crash leaves the previous file.

    Args:
        path (str): the file to write; missing folders are created.
        text (str): its content.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the permissions
        # an ordinary new file gets, so other users can read it.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def write_json(path: str, content) -> None:
    """Write JSON atomically; numpy numbers as Python's.

    Args:
        path (str): the file to write.
        content: what ``json.dumps`` takes, numpy scalars included.
    """
    write_atomically(
        path,
        json.dumps(
            content,
            indent=1,
            default=lambda v: v.item() if hasattr(v, 'item') else str(v)))
