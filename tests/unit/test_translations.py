"""Bahasa Indonesia first: every text of the interface has an Indonesian translation."""

import subprocess
import sys
from pathlib import Path

import wtforms
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "tpl_tracker" / "translations" / "id" / "LC_MESSAGES" / "messages.po"


def _strings(message):
    """The translated text(s) of a catalogue entry: one, or one per plural form."""
    return message.string if isinstance(message.string, tuple) else (message.string,)


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
            "-k",
            "lazy_ngettext:1,2",
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
    translated = {message.id for message in catalog if message.id and not message.fuzzy and all(_strings(message))}
    missing = sorted(str(m) for m in wanted - translated)
    assert missing == [], f"{len(missing)} texts lack an Indonesian translation (make messages): {missing[:20]}"


def test_every_wtforms_message_is_translated_to_indonesian():
    """WTForms ships no Indonesian catalogue: each of its messages must be in ours (tpl_tracker/wtforms_messages.py)."""
    wtforms_template = Path(wtforms.__file__).parent / "locale" / "wtforms.pot"
    with wtforms_template.open("rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    with CATALOG.open("rb") as handle:
        translated = {
            message.id for message in read_po(handle) if message.id and not message.fuzzy and all(_strings(message))
        }
    assert sorted(map(str, wanted - translated)) == []
