"""Reading an audit TOML file: the bounded reader, UTF-8 (a byte-order mark accepted), TOML, then validation."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 (requires-python): the same parser, published as tomli
    import tomli as tomllib

from audit.config._sections import AuditConfig
from audit.config._validate import config_from_dict
from audit.exceptions import ConfigError

_NOT_TOML = "Cannot parse {path} as TOML: {error}. Fix the syntax at that position."
_CONFIG_FIX = "Give the path to an audit TOML file (see examples/adult/audit.toml)."


def load_config(path: str | Path) -> AuditConfig:
    """Read and validate an audit TOML file.

    Parameters
    ----------
    path : str or Path
        The TOML file. Relative data paths inside it are resolved against its directory.

    Examples
    --------
    >>> cfg = load_config("examples/adult/audit.toml")  # doctest: +SKIP
    >>> cfg.data.target  # doctest: +SKIP
    'income'
    """
    from audit.records.files import read_bytes

    p = Path(path)
    data = read_bytes(p, what="Config file", fix=_CONFIG_FIX, error=ConfigError, limit="CONFIG")
    try:
        # A byte-order mark (Windows editors write one) is accepted: utf-8-sig drops it.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(_NOT_TOML.format(path=p, error=f"it is not UTF-8 text ({exc})").replace(
            "Fix the syntax at that position.", "Save it as UTF-8.")) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_NOT_TOML.format(path=p, error=exc)) from None
    except RecursionError:
        raise ConfigError(_NOT_TOML.format(path=p, error="arrays or tables are nested too deeply for the parser").replace(
            "Fix the syntax at that position.", "An audit config nests at most a few levels; remove the nesting.")) from None
    return config_from_dict(raw, source=str(p), base_dir=p.resolve().parent)
