"""Paging without full counts or deep OFFSETs: capped counts, keyset pages that walk every row once."""

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from tpl_tracker import pagination
from tpl_tracker.models import AuditEntry

from ..clock import on


@pytest.fixture
def entries(db):
    db.session.add_all([AuditEntry(action=f"test_{i:02d}", entity_type="test") for i in range(30)])
    db.session.flush()
    return sa.select(AuditEntry).where(AuditEntry.entity_type == "test").order_by(AuditEntry.id.desc())


def _actions(page) -> list[str]:
    return [entry.action for entry in page.items]


def test_numbered_pages_count_every_row_of_a_short_list(app, entries):
    with app.test_request_context("/?page=1"):
        first = pagination.paginate(entries, per_page=25)
    with app.test_request_context("/?page=2"):
        last = pagination.paginate(entries, per_page=25)

    assert _actions(first)[0] == "test_29" and len(first.items) == 25 and first.has_next
    assert (first.total, first.pages, first.total_is_exact) == (30, 2, True)
    assert _actions(last) == [f"test_{i:02d}" for i in range(4, -1, -1)] and not last.has_next
    assert (last.total, last.total_is_exact) == (30, True)


def test_a_page_costs_the_same_statements_whatever_its_rows(app, db, entries):
    statements = []

    def seen(_connection, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for url in ("/?page=1", "/?page=2", "/?page=3"):  # a full page, the last one, one beyond
            with app.test_request_context(url):
                pagination.paginate(entries, per_page=25)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert len(statements) == 6  # the rows and the count, on each


def test_a_long_list_is_counted_only_a_little_past_the_page_unless_asked(app, entries, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    with app.test_request_context("/"):
        capped = pagination.paginate(entries, per_page=10)
    with app.test_request_context("/?total=1"):
        counted = pagination.paginate(entries, per_page=10)

    assert (capped.total, capped.total_is_exact) == (13, False)  # 10 shown, 2 more counted, one past the cap
    assert list(capped.iter_pages()) == [1, 2]
    assert (counted.total, counted.total_is_exact, counted.pages) == (30, True, 3)


@pytest.mark.parametrize("cap", [2, 100])
def test_a_count_read_in_another_order_counts_the_same(app, db, entries, monkeypatch, cap):
    """`count_order` changes where a capped count starts reading (the SQL says so), never the count."""
    monkeypatch.setattr(pagination, "COUNT_CAP", cap)
    statements = []

    def seen(_connection, _cursor, statement, *_args):
        statements.append(statement)

    pages = {}
    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for url in ("/?page=1", "/?page=2", "/?page=2&total=1"):
            with app.test_request_context(url):
                plain = pagination.paginate(entries, per_page=10)
                ordered = pagination.paginate(entries, per_page=10, count_order=[AuditEntry.id.asc()])
            pages[url] = (plain, ordered)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)

    for plain, ordered in pages.values():
        assert (ordered.total, ordered.total_is_exact, _actions(ordered)) == (
            plain.total,
            plain.total_is_exact,
            _actions(plain),
        )
    assert pages["/?page=1"][0].total == (13 if cap == 2 else 30)
    counts = [s for s in statements if s.lstrip().upper().startswith("SELECT COUNT")]
    capped = [s for s in counts if "LIMIT" in s.upper()]
    assert capped and all(("ORDER BY audit_entries.id ASC" in s) == (i % 2 == 1) for i, s in enumerate(capped))
    assert not any("ORDER BY" in s for s in counts if s not in capped)  # the exact count reads in no order


def test_a_list_with_its_total_beside_each_row_is_paged_in_one_statement(app, db, entries, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)  # the total read from the rows is exact, cap or not
    statements = []

    def seen(_connection, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with app.test_request_context("/?page=2"):
            second = pagination.paginate(pagination.with_total(entries), per_page=10)
        with app.test_request_context("/?page=9"):
            beyond = pagination.paginate(pagination.with_total(entries), per_page=10)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)

    assert _actions(second) == [f"test_{i:02d}" for i in range(19, 9, -1)] and second.has_next
    assert (second.total, second.total_is_exact, second.pages) == (30, True, 3)
    assert len(statements) == 1 + 2  # the second page in one; past the last, its rows and a count
    assert (beyond.items, beyond.total, beyond.total_is_exact) == ([], 30, True)


def test_keyset_pages_walk_every_row_once_forwards_and_backwards(app, entries):
    everything = [f"test_{i:02d}" for i in range(29, -1, -1)]
    seen, pages, url = [], [], "/"
    while True:
        with app.test_request_context(url):
            page = pagination.paginate_by_key(entries, [AuditEntry.id], per_page=7)
        seen += _actions(page)
        pages.append(page)
        if not page.has_next:
            break
        url = f"/?after={page.next_cursor}"
    assert seen == everything and len(pages) == 5
    assert pages[0].is_first and not pages[0].has_prev and pages[-1].has_prev

    back, url = [], f"/?before={pages[-1].prev_cursor}"
    while True:
        with app.test_request_context(url):
            page = pagination.paginate_by_key(entries, [AuditEntry.id], per_page=7)
        back = _actions(page) + back
        if not page.has_prev:
            break
        url = f"/?before={page.prev_cursor}"
    assert back == everything[:28]  # every page before the last one, in order
    assert page.is_first


def test_keyset_pages_order_rows_with_equal_dates_by_id(app, db, work):
    from tpl_tracker.models import Activity

    tpl = work["tpl"]
    db.session.add_all(
        [
            Activity(facilitator=tpl, date=on(3, 10 + i % 3), type="kunjungan", description="x", hours=1)
            for i in range(12)
        ]
    )
    db.session.flush()
    query = sa.select(Activity).order_by(Activity.date.desc(), Activity.id.desc())
    expected = [a.id for a in db.session.scalars(query)]
    seen, url = [], "/"
    while url:
        with app.test_request_context(url):
            page = pagination.paginate_by_key(query, [Activity.date, Activity.id], per_page=5)
        seen += [a.id for a in page.items]
        url = f"/?after={page.next_cursor}" if page.has_next else None
    assert seen == expected


@pytest.mark.parametrize("per_page", [1, 2, 4, 7])
@pytest.mark.parametrize("by_first_key", [False, True])
@pytest.mark.parametrize("one_tpl", [False, True])
def test_keyset_pages_in_mixed_directions_walk_every_row_once_both_ways(app, db, work, per_page, by_first_key, one_tpl):
    """The monthly report list: newest month first, then by name (ascending, names shared), then id; read whole,
    or month by month (`by_first_key`), pages shorter and longer than a month, a month of one report."""
    from tpl_tracker.models import MonthlyReport
    from tpl_tracker.services.reviews import REPORT_ORDER, report_query, report_sort_key

    from ..factories import FacilitatorFactory, UserFactory

    people = [FacilitatorFactory(full_name=name) for name in ("Ani", "Budi", "Budi", "Citra", "Dewi")]
    db.session.add_all(MonthlyReport(facilitator=f, period=on(month, 1)) for f in people for month in (1, 2, 3, 5))
    db.session.add(MonthlyReport(facilitator=people[2], period=on(4, 1)))
    db.session.flush()
    query = report_query(UserFactory(role="admin"), facilitator_id=people[2].id if one_tpl else None)
    expected = [r.id for r in db.session.scalars(query)]

    def walk(url: str, forwards: bool) -> tuple[list, object]:
        seen = []
        while True:
            with app.test_request_context(url):
                page = pagination.paginate_by_key(
                    query, REPORT_ORDER, per_page=per_page, values_of=report_sort_key, by_first_key=by_first_key
                )
            seen = seen + [r.id for r in page.items] if forwards else [r.id for r in page.items] + seen
            if not (page.has_next if forwards else page.has_prev):
                return seen, page
            url = f"/?after={page.next_cursor}" if forwards else f"/?before={page.prev_cursor}"

    forwards, last = walk("/", True)
    backwards, first = walk(f"/?before={last.prev_cursor}", False) if last.has_prev else ([], last)

    assert (len(expected) == 5 if one_tpl else len(expected) >= 21) and forwards == expected
    assert backwards == expected[: len(expected) - len(last.items)] and first.is_first


def test_a_list_read_month_by_month_with_no_rows_is_one_empty_page(app, db, work):
    from tpl_tracker.models import MonthlyReport
    from tpl_tracker.services.reviews import REPORT_ORDER, report_query, report_sort_key

    from ..factories import UserFactory

    query = report_query(UserFactory(role="admin")).where(MonthlyReport.id < 0)
    with app.test_request_context("/"):
        page = pagination.paginate_by_key(query, REPORT_ORDER, values_of=report_sort_key, by_first_key=True)
    assert (page.items, page.has_next, page.has_prev, page.total) == ([], False, False, 0)


@pytest.mark.parametrize("cursor", ["abc", "W10", "WyJ4Il0", "WzEsMl0", "W3RydWVd", "WzFlMzBd", "%00"])
def test_a_cursor_that_is_not_one_of_ours_is_not_found(app, entries, cursor):
    with app.test_request_context(f"/?after={cursor}"), pytest.raises(NotFound):
        pagination.paginate_by_key(entries, [AuditEntry.id])
