"""Paging lists without their cost growing with the table: counts capped unless a total is asked for, and
keyset pages (`?after=` / `?before=` the last row's sort key) for the lists that grow past 100,000 rows.

Flask-SQLAlchemy's `db.paginate` counts every row of the query on every page and reads deep pages with
OFFSET; on a million activities both take seconds. Here a page reads one row more than it shows (to know
whether there is a next one) and counts at most COUNT_CAP rows past the page unless `?total=1` asks for all.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import abort, current_app, request
from sqlalchemy.sql import operators

from .extensions import db

COUNT_CAP = 1000  # rows counted past the page; "more than N" beyond
TOTAL = "list_total"  # the column `with_total` adds


def with_total(query):
    """The select with the number of all its rows beside each row (`count(*) OVER ()`), which `paginate` reads
    instead of counting in a statement of its own: for a list the database gathers whole before sorting it anyway
    (the roster's flags, a supervisor's TPL or businesses), so that the exact total costs nothing more."""
    return query.add_columns(sa.func.count().over().label(TOTAL))


def _has_total(query) -> bool:
    return any(column.key == TOTAL for column in query.selected_columns)


def _count(query, limit: int | None, order=None) -> int:
    statement = query.order_by(None)
    if limit is not None:
        statement = statement.limit(limit)
        if order:  # the count is the same in any order; a capped one stops sooner where its rows come first
            statement = statement.order_by(*order)
    return db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))


def _rows(statement) -> list:
    return list(db.session.execute(statement).unique().scalars())


def _wants_total() -> bool:
    return request.args.get("total") == "1"


@dataclass
class Page:
    """One page of a list, numbered (OFFSET): what `_macros.pager` draws."""

    items: list
    page: int
    per_page: int
    total: int  # the rows counted: all of them, or up to COUNT_CAP past this page
    total_is_exact: bool
    has_next: bool
    keyset: bool = False

    @property
    def pages(self) -> int:
        """The pages that the rows counted fill."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        """True on every page but the first."""
        return self.page > 1

    @property
    def prev_num(self) -> int:
        """The previous page's number."""
        return self.page - 1

    @property
    def next_num(self) -> int:
        """The next page's number."""
        return self.page + 1

    def iter_pages(self, left_edge=1, left_current=2, right_current=2, right_edge=1):
        """Page numbers around this one, None for a gap (as Flask-SQLAlchemy's pagination gives them)."""
        last = self.pages
        shown = set(range(1, min(left_edge, last) + 1))
        shown |= set(range(max(1, self.page - left_current), min(last, self.page + right_current) + 1))
        if self.total_is_exact:
            shown |= set(range(max(1, last - right_edge + 1), last + 1))
        previous = 0
        for number in sorted(shown):
            if number != previous + 1:
                yield None
            yield number
            previous = number


def paginate(query, per_page: int | None = None, number: int | None = None, count_query=None, count_order=None) -> Page:
    """The page `?page=N` (or `number`, from a posted form) of a select, counted up to COUNT_CAP rows past it (all
    rows with `?total=1`); `count_query`, the same rows selected in a way the database counts faster, is counted
    instead of `query`; `count_order`, the order in which a capped count reads them (where the rows it looks for
    come first, see `supervision.ROSTER_COUNT_ORDER`)."""
    per_page = per_page or current_app.config["PER_PAGE"]
    number = number or request.args.get("page", 1, type=int) or 1
    offset = (number - 1) * per_page
    if _has_total(query):
        counted = db.session.execute(query.limit(per_page + 1).offset(offset)).unique().all()
        if counted:
            rows = [row[0] for row in counted]
            return Page(rows[:per_page], number, per_page, counted[0]._mapping[TOTAL], True, len(rows) > per_page)
        # Past the last page no row carries the total: count the rows.
        plain = query.with_only_columns(*[column for column in query.selected_columns if column.key != TOTAL])
        return Page([], number, per_page, _count(plain, None), True, False)
    rows = list(_rows(query.limit(per_page + 1).offset(offset)))
    exact = _wants_total()
    limit = None if exact else offset + per_page + COUNT_CAP + 1
    total = _count(query if count_query is None else count_query, limit, count_order)  # also on a last page
    exact = exact or total < offset + per_page + COUNT_CAP + 1
    return Page(rows[:per_page], number, per_page, total, exact, len(rows) > per_page)


# --- keyset pages ---------------------------------------------------------------------------


def _encode(values: tuple) -> str:
    plain = json.dumps([v.isoformat() if isinstance(v, (date, datetime)) else v for v in values])
    return base64.urlsafe_b64encode(plain.encode()).decode().rstrip("=")


def _decode(cursor: str, keys: list) -> tuple:
    """The sort key kept in a cursor, each value of its column's type; 404 for anything else."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        typed = []
        for value, key in zip(values, keys, strict=True):
            python_type = getattr(key.type, "impl_instance", key.type).python_type  # a TypeDecorator's own type
            if python_type is int and isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
                typed.append(value)
            elif python_type is date and isinstance(value, str):
                typed.append(date.fromisoformat(value))
            elif python_type is datetime and isinstance(value, str):
                typed.append(datetime.fromisoformat(value))
            elif python_type is str and isinstance(value, str) and len(value) <= 500:
                typed.append(value)
            else:
                raise ValueError
        return tuple(typed)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, NotImplementedError):
        abort(404)


@dataclass
class KeysetPage:
    """One page of a list read by its sort key: links to the rows after and before it, never an OFFSET."""

    items: list
    per_page: int
    next_cursor: str | None
    prev_cursor: str | None
    total: int
    total_is_exact: bool
    is_first: bool
    keyset: bool = True

    @property
    def has_next(self) -> bool:
        """True when rows follow this page."""
        return self.next_cursor is not None

    @property
    def has_prev(self) -> bool:
        """True when rows precede this page."""
        return self.prev_cursor is not None


def _directions(keys: list) -> list[tuple]:
    """(column, descending) for each sort key: `column.asc()` or `column.desc()`, a bare column descending."""
    directions = []
    for key in keys:
        modifier = getattr(key, "modifier", None)
        if modifier in (operators.asc_op, operators.desc_op):
            directions.append((key.element, modifier is operators.desc_op))
        else:
            directions.append((key, True))
    return directions


def _beyond(directions: list[tuple], values: tuple, towards_end: bool):
    """SQL condition: the row comes after `values` in the list's order (`towards_end`), or before them."""
    if len({descending for _column, descending in directions}) == 1:  # one direction: a row value comparison
        columns = sa.tuple_(*[column for column, _descending in directions])
        return columns < sa.tuple_(*values) if directions[0][1] == towards_end else columns > sa.tuple_(*values)
    conditions = []
    for i, (column, descending) in enumerate(directions):
        further = column < values[i] if descending == towards_end else column > values[i]
        conditions.append(sa.and_(*[directions[j][0] == values[j] for j in range(i)], further))
    return sa.or_(*conditions)


def _keyset_rows(query, keys: list, per_page: int, after: str | None, before: str | None) -> tuple[list, bool, bool]:
    """The rows of the page after or before a cursor (the first page without), and whether rows follow and
    precede them."""
    directions = _directions(keys)
    columns = [column for column, _descending in directions]
    if before:
        earlier = query.order_by(None).where(_beyond(directions, _decode(before, columns), towards_end=False))
        reverse = [column.asc() if descending else column.desc() for column, descending in directions]
        rows = list(_rows(earlier.order_by(*reverse).limit(per_page + 1)))
        return list(reversed(rows[:per_page])), True, len(rows) > per_page
    if after:
        query = query.where(_beyond(directions, _decode(after, columns), towards_end=True))
    rows = list(_rows(query.limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page, bool(after)


def _ordered(query, directions: list[tuple], reverse: bool = False):
    """The select ordered by `directions`, or against them."""
    return query.order_by(None).order_by(
        *[column.desc() if descending != reverse else column.asc() for column, descending in directions]
    )


def _first_value(query, directions: list[tuple]):
    """The value of the first sort key on the list's first row; None for an empty list."""
    column, descending = directions[0]
    # Ordered and limited rather than max()/min(): over a join, the database then walks the key's index and stops
    # at the first row that qualifies instead of joining every row.
    return db.session.scalar(_ordered(query.with_only_columns(column), directions[:1]).limit(1))


def _grouped_keyset_rows(query, keys: list, per_page: int, after: str | None, before: str | None):
    """`_keyset_rows` for a list whose first sort key has few values, each shared by many rows (the monthly
    reports' month): the rows of the cursor's group (the first group on the first page) are read with that key
    fixed, so that the database can walk an index of the other keys and stop after a page (rather than gather
    and sort the whole group); only a page that reaches past its group reads on in the list's plain order."""
    directions = _directions(keys)
    columns = [column for column, _descending in directions]
    towards_end = not before
    cursor = _decode(before or after, columns) if (before or after) else None
    lead, rest = directions[0], directions[1:]
    if cursor is None:
        value = _first_value(query, directions)
        if value is None:
            return [], False, False
        within = query.where(lead[0] == value)
    else:
        value = cursor[0]
        first, descending = rest[0]
        # The first other key's bound, redundant beside the row comparison, is what an index can answer.
        bound = first <= cursor[1] if descending == towards_end else first >= cursor[1]
        within = query.where(lead[0] == value, bound, _beyond(rest, cursor[1:], towards_end))
    rows = _rows(_ordered(within, rest, reverse=not towards_end).limit(per_page + 1))
    if len(rows) <= per_page:
        later = query.where(lead[0] < value if lead[1] == towards_end else lead[0] > value)
        rows += _rows(_ordered(later, directions, reverse=not towards_end).limit(per_page + 1 - len(rows)))
    more = len(rows) > per_page
    if before:
        return list(reversed(rows[:per_page])), True, more
    return rows[:per_page], more, bool(after)


def paginate_by_key(
    query, keys: list, per_page: int | None = None, values_of=None, by_first_key: bool = False, count_query=None
) -> KeysetPage:
    """The page of a select ordered by `keys` (columns, descending unless written `column.asc()`, the last one
    unique) that follows `?after=` or precedes `?before=` a cursor; the first page without either, or when nothing
    precedes it. `values_of(row)` gives a row's sort key when a key is not an attribute of the row.
    `by_first_key` reads a page group by group of the first key (see `_grouped_keyset_rows`); `count_query`, the
    same rows selected in a way the database counts faster, is counted instead of `query`."""
    per_page = per_page or current_app.config["PER_PAGE"]
    after, before = request.args.get("after"), request.args.get("before")
    read = _grouped_keyset_rows if by_first_key else _keyset_rows
    items, has_next, has_prev = read(query, keys, per_page, after, before)
    if before and not items:
        items, has_next, has_prev = read(query, keys, per_page, None, None)
    exact = _wants_total()
    total = _count(query if count_query is None else count_query, None if exact else COUNT_CAP + 1)
    columns = [column for column, _descending in _directions(keys)]

    def cursor(row) -> str:
        return _encode(values_of(row) if values_of else tuple(getattr(row, column.key) for column in columns))

    return KeysetPage(
        items=items,
        per_page=per_page,
        next_cursor=cursor(items[-1]) if has_next and items else None,
        prev_cursor=cursor(items[0]) if has_prev and items else None,
        total=total,
        total_is_exact=exact or total <= COUNT_CAP,
        is_first=not has_prev,
    )
