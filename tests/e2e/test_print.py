"""Report pages printed on A4 in Chromium: nothing wider than the page, no menu or form, who printed it and when,
page numbers."""

import io

import pytest
from pypdf import PdfReader

from tpl_tracker.services.metric import store_snapshot

from ..clock import on
from .conftest import LAPTOP, new_page, sign_in, skip_without_chromium

skip_without_chromium()

pytestmark = pytest.mark.real_commits

MM = 96 / 25.4  # CSS pixels per millimetre
# The width of the printed area in CSS pixels: A4 less the margins of static/app.css's @page rules.
PRINTABLE = {"portrait": round((210 - 24) * MM), "landscape": round((297 - 24) * MM)}
A4_POINTS = {"portrait": (595, 842), "landscape": (842, 595)}

# Every element's right edge, as Chromium lays the page out for print at the printed width.
WIDEST = """() => {
  let widest = document.documentElement.scrollWidth, culprit = '';
  for (const element of document.querySelectorAll('main *')) {
    const right = element.getBoundingClientRect().right;
    if (right > widest) { widest = right; culprit = element.tagName + '.' + element.className; }
  }
  return [Math.ceil(widest), culprit];
}"""


@pytest.fixture
def snapshot(world, db):
    """The WUB figures stored for the tests' date, as the scheduled job stores them, with `tpl2` an alumnus (their
    only contract ended in June)."""
    contract = world["contract2"]
    contract.end_date, contract.status = on(6, 30), "completed"
    db.session.commit()
    store_snapshot(on(12, 1))
    db.session.commit()
    return on(12, 1)


def _printed(browser, server, email, path):
    """The page as Chromium prints it: its orientation, the widest element at the printed width, the PDF's pages."""
    page = new_page(browser, LAPTOP)
    sign_in(page, server, email)
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}{path}")
    orientation = "landscape" if "print-landscape" in (page.get_attribute("body", "class") or "") else "portrait"
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINTABLE[orientation], "height": 1000})
    widest, culprit = page.evaluate(WIDEST)
    hidden = page.evaluate(
        "() => [...document.querySelectorAll('nav, main form:not([method=get]), .btn')]"
        ".filter(e => e.getClientRects().length).length"
    )
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=False)))
    page.context.close()
    return orientation, widest, culprit, hidden, pdf


@pytest.mark.parametrize(
    "email, path, shown",
    [
        ("evaluator@example.id", "/reports/wub", "Semua rincian"),  # the breakdowns shown (all), printed as text
        ("evaluator@example.id", "/reports/wub?group_by=province", "Provinsi penempatan terakhir"),
        ("evaluator@example.id", "/reports/wub/definition", "Contoh perhitungan"),
        ("supervisor@example.id", "/supervisi/?flag=any", "Semua yang ditandai"),
        ("supervisor2@example.id", "/reports/wub?as_of=" + on(12, 1).isoformat(), "Wilayah Anda"),
        ("evaluator@example.id", "/reports/wub/people?as_of=" + on(12, 1).isoformat(), "Alumni"),
        ("supervisor@example.id", "/reports/output?level=tpl", "Hasil pendampingan"),
        ("evaluator@example.id", "/reports/output?level=kabkota", "Hasil pendampingan"),
    ],
)
def test_a_report_prints_on_a4_with_nothing_cut_off(browser, server, work, snapshot, email, path, shown):
    """Nothing wider than the page, no menu, button or form that changes something; the filters chosen printed as
    text, who printed it, and page numbers."""
    orientation, widest, culprit, hidden, pdf = _printed(browser, server, email, path)
    assert widest <= PRINTABLE[orientation], f"{path}: {culprit} reaches {widest}px of {PRINTABLE[orientation]}"
    assert hidden == 0, f"{path}: a menu, a button or a form that changes something is printed"
    first = pdf.pages[0]
    assert (round(float(first.mediabox.width)), round(float(first.mediabox.height))) == A4_POINTS[orientation]
    text = first.extract_text()
    assert "Dicetak oleh" in text and "TPL Tracker" in text
    assert shown in "".join(page.extract_text() for page in pdf.pages)  # a filter's value, or the page's content
    assert f"1 / {len(pdf.pages)}" in text  # the page number, from the @page rule
