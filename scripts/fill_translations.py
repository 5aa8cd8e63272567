"""Fill missing Indonesian translations from a JSON file {msgid: msgstr}: `fill_translations.py FILE`."""

import json
import sys

from babel.messages.pofile import read_po, write_po

CATALOG = "tpl_tracker/translations/id/LC_MESSAGES/messages.po"


def main() -> int:
    """Write the given translations into the catalog and list what is still missing."""
    with open(sys.argv[1], encoding="utf-8") as handle:
        translations = json.load(handle)
    with open(CATALOG, "rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if message.id in translations:
            message.string = translations[message.id]
            message.flags.discard("fuzzy")
    with open(CATALOG, "wb") as handle:
        write_po(handle, catalog, width=100)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"{len(missing)} untranslated: {missing}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
