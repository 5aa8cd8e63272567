"""Bahasa Indonesia first: every text of the interface has an Indonesian translation."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "tpl_tracker" / "translations" / "id" / "LC_MESSAGES" / "messages.po"


def test_every_text_is_translated_to_indonesian(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(template),
            ".",
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    with template.open("rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        message.id
        for message in catalog
        if message.id
        and not message.fuzzy
        and (all(message.string) if isinstance(message.string, tuple) else message.string)
    }
    missing = sorted(str(m) for m in wanted - translated)
    assert missing == [], f"{len(missing)} texts lack an Indonesian translation (make messages): {missing[:20]}"
