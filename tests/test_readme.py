"""The README's config example is a valid config (a newcomer copies it first)."""

import re
from pathlib import Path

import tomllib

from audit.config import config_from_dict

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_config_example_validates():
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks
    for block in blocks:
        text = "\n".join(line[3:] if line.startswith("   ") else line for line in block.splitlines())
        config = config_from_dict(tomllib.loads(text))
        assert config.gates and config.privacy.canary_audit
