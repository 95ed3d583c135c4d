"""One reader for every file rai-audit opens.

Every file the tool reads (the config, data tables, predictions, weights, a run's
``audit.json``, ``manifest.json`` and ``reviews.jsonl``, a reviewer's key) goes through
these functions, so each gets the same checks and the same kind of message, naming the
file and the fix:

- **a regular file**: a directory, a FIFO, a device or a socket is named as such (never
  "does not exist"), and is never opened: reading a FIFO or ``/dev/zero`` would block or
  never end. Files are opened with ``O_NONBLOCK`` and checked again on the open handle, so
  a file swapped for a FIFO between the check and the open is still refused;
- **a size limit** per kind of file (raised by ``RAI_AUDIT_MAX_<KIND>_BYTES``);
- **JSON nesting depth** (:data:`MAX_JSON_DEPTH`): a record nested thousands deep would
  otherwise crash the parser or the card renderer with ``RecursionError``;
- **zip decompression** (weights saved by ``torch.save`` are zip files): the members'
  declared sizes are checked before ``torch.load`` inflates anything, so a zip bomb is refused
  (one big member, or thousands of small ones);
- **arrays** (:func:`load_npy`): parsed from the bounded bytes, never from the path; a ``.npy``
  header declaring more data than the file holds is refused before numpy allocates it.

Errors are raised as the caller's :class:`~audit.exceptions.AuditError` family, so each
command keeps its exit code.

Examples
--------
>>> import tempfile, pathlib
>>> from audit.exceptions import DataError
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> try:
...     check_file(folder, what="Data file", fix="Fix data.path.", error=DataError)
... except DataError as exc:
...     print("is a directory, not a regular file" in str(exc))
True
>>> parse_json('{"a": [1, 2]}', where="x.json", fix="", error=DataError)
{'a': [1, 2]}
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from audit.exceptions import AuditError

__all__ = [
    "MAX_JSON_DEPTH",
    "check_file",
    "check_zip",
    "json_depth",
    "limit_bytes",
    "load_json",
    "load_npy",
    "parse_json",
    "read_bytes",
    "read_text",
]

#: The deepest nesting any JSON file of the tool has is about 10 (``audit.json``); 100 leaves room for
#: every legitimate record and keeps the parser and the card renderer far from Python's recursion limit.
MAX_JSON_DEPTH = 100

# Default size limits by kind of file; each is raised with RAI_AUDIT_MAX_<KIND>_BYTES.
_LIMITS = {
    "CONFIG": 1 << 20,  # an audit TOML is a few KiB
    "DATA": 8 << 30,  # CSV/Parquet tables and prediction files
    "WEIGHTS": 8 << 30,  # a state dict, on disk and once decompressed
    "AUDIT": 256 << 20,  # audit.json
    "MANIFEST": 64 << 20,
    "REVIEWS": 64 << 20,
    "KEY": 64 << 10,  # a PEM private key is a few hundred bytes
    "PREDICTIONS": 512 << 20,  # a run's predictions.csv, read whole by the dashboard
    "ARRAY": 1 << 30,  # a run's .npy arrays (test features, explanation baselines)
    "CARD": 64 << 20,  # a run's model card files (Markdown, HTML, JSON)
    "IMAGE": 5 << 20,  # a run's saliency map PNGs
}
_LIMIT_ENV = "RAI_AUDIT_MAX_{kind}_BYTES"
# A member of a torch zip inflating more than this many times its stored size, beyond 1 MiB, is a bomb
# (torch.save stores tensors uncompressed, ratio 1).
_MAX_ZIP_RATIO = 100
_ZIP_SMALL = 1 << 20
_MAX_ZIP_MEMBERS = 100_000

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_MISSING = "{what} {path} does not exist. {fix}"
_NOT_REGULAR = "{what} {path} is {kind}, not a regular file; it was not opened. {fix}"
_UNREADABLE = "{what} {path} cannot be read: {error}. {fix}"
_TOO_LARGE = ("{what} {path} is {size:,} bytes, over the limit of {limit:,} bytes for this kind of file. {fix} "
              "(On a machine that can afford it, raise the limit with the environment variable {env}.)")
_NOT_UTF8 = "{what} {path} is not UTF-8 text ({error}). {fix}"
_NOT_JSON = "{where} is not valid JSON ({error}). {fix}"
_TOO_DEEP = ("{where} is nested more than {limit} levels deep{found}; no file rai-audit writes comes close, so it was "
             "not read. {fix}")
_ZIP_BOMB = ("{what} {path} would inflate to {size:,} bytes{why}; it was not loaded (a zip bomb, or not a file "
             "torch.save wrote). {fix}")
_NOT_NPY = "{what} {path} is not a plain .npy array ({error}); it was not loaded. {fix}"


def limit_bytes(kind: str) -> int:
    """The size limit for a kind of file (``"DATA"``, ``"CONFIG"``...), raised by its environment variable.

    A value that is not a positive integer is ignored (the default stands).

    Examples
    --------
    >>> limit_bytes("CONFIG")
    1048576
    """
    default = _LIMITS[kind]
    text = os.environ.get(_LIMIT_ENV.format(kind=kind), "")
    try:
        raised = int(text)
    except ValueError:
        return default
    return max(raised, default) if raised > 0 else default


def _kind_of(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _size_problem(path: Path, size: int, *, what: str, fix: str, kind: str | None) -> str | None:
    if kind is None:
        return None
    limit = limit_bytes(kind)
    if size <= limit:
        return None
    return _TOO_LARGE.format(what=what, path=path, size=size, limit=limit, fix=fix, env=_LIMIT_ENV.format(kind=kind))


def check_file(path: str | os.PathLike[str], *, what: str, fix: str, error: type[AuditError],
               limit: str | None = None) -> Path:
    """``path`` as a :class:`Path` when it is a regular file (links followed) within the size limit.

    Parameters
    ----------
    path : path
        The file.
    what : str
        How messages name it, e.g. ``"Data file"``.
    fix : str
        The sentence that tells the user what to do.
    error : type
        The :class:`AuditError` subclass to raise.
    limit : str, optional
        The kind of file whose size limit applies (see :func:`limit_bytes`); none when omitted.

    Raises
    ------
    AuditError
        Of type ``error``: missing, not a regular file (named: directory, FIFO, device, socket),
        unreadable or too large.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except (FileNotFoundError, NotADirectoryError):
        raise error(_MISSING.format(what=what, path=p, fix=fix)) from None
    except OSError as exc:
        raise error(_UNREADABLE.format(what=what, path=p, error=exc.strerror or exc, fix=fix)) from None
    if not stat.S_ISREG(st.st_mode):
        raise error(_NOT_REGULAR.format(what=what, path=p, kind=_kind_of(st.st_mode), fix=fix))
    problem = _size_problem(p, st.st_size, what=what, fix=fix, kind=limit)
    if problem:
        raise error(problem)
    return p


def read_bytes(path: str | os.PathLike[str], *, what: str, fix: str, error: type[AuditError], limit: str) -> bytes:
    """The bytes of a regular file within its size limit (see :func:`check_file`)."""
    p = check_file(path, what=what, fix=fix, error=error, limit=limit)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(_UNREADABLE.format(what=what, path=p, error=exc.strerror or exc, fix=fix)) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):  # swapped since the check
            raise error(_NOT_REGULAR.format(what=what, path=p, kind=_kind_of(st.st_mode), fix=fix))
        most = limit_bytes(limit)
        try:
            data = fh.read(most + 1)
        except OSError as exc:
            raise error(_UNREADABLE.format(what=what, path=p, error=exc.strerror or exc, fix=fix)) from None
    problem = _size_problem(p, len(data), what=what, fix=fix, kind=limit)  # grew since the check
    if problem:
        raise error(problem)
    return data


def read_text(path: str | os.PathLike[str], *, what: str, fix: str, error: type[AuditError], limit: str,
              encoding: str = "utf-8") -> str:
    """The text of a regular file (UTF-8; ``encoding="utf-8-sig"`` also accepts a byte-order mark)."""
    data = read_bytes(path, what=what, fix=fix, error=error, limit=limit)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise error(_NOT_UTF8.format(what=what, path=path, error=exc, fix=fix)) from None


def json_depth(value: Any) -> int:
    """How deeply ``value`` nests lists and dicts (a scalar is 0), computed without recursion.

    Examples
    --------
    >>> json_depth(1), json_depth([]), json_depth({"a": [[1]]})
    (0, 1, 3)
    """
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"it holds {name}, which JSON does not allow and rai-audit never writes")


def parse_json(text: str, *, where: str, fix: str, error: type[AuditError], max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON text, refusing invalid JSON and nesting deeper than ``max_depth`` with ``error``.

    Strict JSON: ``NaN`` and ``Infinity`` (which Python's parser accepts) are refused, and so is an
    integer too long for Python to parse.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise error(_NOT_JSON.format(where=where, error=exc, fix=fix)) from None
    except ValueError as exc:  # NaN/Infinity, or an integer past Python's digit limit
        raise error(_NOT_JSON.format(where=where, error=str(exc).split(";")[0], fix=fix)) from None
    except RecursionError:
        raise error(_TOO_DEEP.format(where=where, limit=max_depth, found="", fix=fix)) from None
    depth = json_depth(value)
    if depth > max_depth:
        raise error(_TOO_DEEP.format(where=where, limit=max_depth, found=f" ({depth} levels)", fix=fix))
    return value


def load_json(path: str | os.PathLike[str], *, what: str, fix: str, error: type[AuditError], limit: str,
              max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Read and parse a JSON file: a regular file, within its size limit, UTF-8, valid, not too deep."""
    text = read_text(path, what=what, fix=fix, error=error, limit=limit)
    return parse_json(text, where=f"{what} {path}", fix=fix, error=error, max_depth=max_depth)


def check_zip(path: str | os.PathLike[str], *, what: str, fix: str, error: type[AuditError], limit: str) -> None:
    """Refuse a zip file whose members would inflate past the size limit or far past their stored size.

    Only the central directory is read (the members' declared sizes); nothing is inflated.
    A file that is not a zip (or a damaged one) passes: its reader reports it.
    """
    p = Path(path)
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    most = limit_bytes(limit)
    total = sum(i.file_size for i in infos)
    why = ""
    if len(infos) > _MAX_ZIP_MEMBERS:
        why = f" from {len(infos):,} members (at most {_MAX_ZIP_MEMBERS:,})"
    elif total > most:
        why = f", over the limit of {most:,} bytes (raise it with {_LIMIT_ENV.format(kind=limit)})"
    else:
        for i in infos:
            if i.file_size > _ZIP_SMALL and i.file_size > _MAX_ZIP_RATIO * max(i.compress_size, 1):
                why = f": member {i.filename!r} declares {i.file_size:,} bytes stored in {i.compress_size:,}"
                break
        stored = sum(i.compress_size for i in infos)
        if not why and total > _ZIP_SMALL and total > _MAX_ZIP_RATIO * max(stored, 1):
            # many members each under _ZIP_SMALL add up to a bomb as surely as one big member
            why = f": {len(infos):,} members declare {total:,} bytes stored in {stored:,}"
    if why:
        raise error(_ZIP_BOMB.format(what=what, path=p, size=total, why=why, fix=fix))


def load_npy(path: str | os.PathLike[str], *, what: str, fix: str, error: type[AuditError], limit: str = "ARRAY") -> Any:
    """A numpy array from the bounded bytes of a ``.npy`` file: no pickles, and no more data than the file holds.

    The header's shape and dtype are checked against the bytes read before numpy allocates the array,
    so a 100-byte file declaring a terabyte is refused, not allocated.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from audit.exceptions import DataError
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.npy"
    >>> np.save(path, np.arange(3))
    >>> load_npy(path, what="Array", fix="", error=DataError).tolist()
    [0, 1, 2]
    """
    import io
    import math

    import numpy as np

    data = read_bytes(path, what=what, fix=fix, error=error, limit=limit)
    buf = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buf)
        header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if header is None:
            raise ValueError(f"format version {version} (numpy writes 1.0 or 2.0 for plain arrays)")
        shape, _, dtype = header(buf)
        if dtype.hasobject:
            raise ValueError("it holds Python objects (a pickle)")
        need = math.prod(shape) * dtype.itemsize
        if need > len(data) - buf.tell():
            raise ValueError(f"its header declares {need:,} bytes of data, the file holds {len(data) - buf.tell():,}")
        buf.seek(0)
        return np.load(buf, allow_pickle=False)
    except (ValueError, OSError, EOFError, TypeError, SyntaxError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise error(_NOT_NPY.format(what=what, path=path, error=first, fix=fix)) from None
