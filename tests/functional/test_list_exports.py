"""Exports of every list: the rows the list's filters select (every page), typed, translated, masked, audited."""

import csv
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from tpl_tracker.models import AuditEntry


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _exports(db) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)))


def test_smoke(client, login_as, work, db):
    login_as("evaluator")
    for url in ["/tpl/export", "/tpl/contracts/export", "/ikm/export", "/ikm/assessments/export", "/kegiatan/export", "/izin/export", "/bulanan/export", "/tracer/export"]:
        rows = _csv(client.post(url, data={"fmt": "csv"}))
        print(url, rows)
        response = client.post(url, data={"fmt": "xlsx"})
        sheet = load_workbook(io.BytesIO(response.get_data())).active
        print(list(sheet.values))
    print([(e.entity_type, e.after) for e in _exports(db)])
    raise AssertionError
