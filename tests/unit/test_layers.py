"""The layers keep their jobs: services flush and never commit nor answer HTTP; the boundaries commit."""

import re
from pathlib import Path

import tpl_tracker.services

SERVICES = sorted(Path(tpl_tracker.services.__file__).parent.glob("*.py"))


def test_the_services_are_found():
    assert len(SERVICES) > 10


def test_no_service_commits_or_aborts():
    """Only the boundaries (tpl_tracker/transactions.py, the job runner, the web layer) end a transaction.

    A service may roll back only a transaction the database has already failed (right after catching an
    IntegrityError, to read what refused it); the use case then fails and its boundary undoes the rest.
    """
    offenders = []
    for path in SERVICES:
        previous = ""
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            failed_transaction = "except IntegrityError" in previous or "except sa.exc.IntegrityError" in previous
            if re.search(r"\.commit\(\)|\babort\(", line) or (".rollback()" in line and not failed_transaction):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
            if line.strip():
                previous = line
    assert offenders == []


def test_the_importer_writes_through_the_services():
    """The importer checks a workbook and plans; only the domain services (and their bulk writer) write records."""
    source = (Path(tpl_tracker.services.__file__).parent / "importer.py").read_text()
    writes = re.findall(
        r"session\.(?:add|add_all|merge|delete|execute)\(|sa\.(?:insert|update|delete)\(|audit\.record", source
    )
    assert writes == []
