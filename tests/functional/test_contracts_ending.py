"""Contracts ending within 30 days: the first ten on a supervisor's home, all of them in the TPL list's filter."""

from datetime import date

from ..clock import YEAR, on
from ..conftest import page_text as _page
from ..conftest import ui_message as _message
from ..factories import ContractFactory, FacilitatorFactory


def _ending(db, supervisor, ends: list[date], region: str = "82.71") -> list:
    """A TPL of `supervisor` for each end date, under contract since 1 January."""
    made = []
    for end in ends:
        tpl = FacilitatorFactory(supervisor=supervisor, region_code=region)
        ContractFactory(facilitator=tpl, start_date=on(1, 1), end_date=end)
        made.append(tpl)
    db.session.commit()
    return made


def _home_card(page: str, app) -> str:
    start = page.index(_message(app, "Contracts ending within 30 days"), page.index('id="home-attention"'))
    return page[start:]


def test_the_home_page_lists_the_ten_contracts_ending_first_and_links_to_all(app, client, login_as, world, db):
    """Today is 2 December: the world's TPL ends on 31 December, eleven more between 5 and 15 December; a contract
    ending on 5 January, one that ended yesterday and another supervisor's TPL are not counted."""
    soon = _ending(db, world["supervisor"], [on(12, 15 - i) for i in range(11)])  # the last one ends first
    later = _ending(db, world["supervisor"], [date(YEAR + 1, 1, 5), on(12, 1)])
    login_as("supervisor")
    card = _home_card(_page(client.get("/")), app)
    first_ten = list(reversed(soon))[:10]
    assert [tpl.full_name for tpl in first_ten] == sorted(
        [tpl.full_name for tpl in first_ten], key=card.index
    )  # soonest first
    assert soon[0].full_name not in card  # the eleventh (15 December) and the world's TPL (31 December) wait
    assert world["tpl"].full_name not in card
    assert all(tpl.full_name not in card for tpl in later) and world["tpl2"].full_name not in card
    link = _message(app, "All %(n)s TPL whose contract ends within 30 days", n="12")
    assert link in card and 'href="/tpl/?status=ending"' in card


def test_a_short_list_has_no_link(app, client, login_as, world, db):
    login_as("supervisor")
    card = _home_card(_page(client.get("/")), app)
    assert world["tpl"].full_name in card and 'href="/tpl/?status=ending"' not in card


def test_the_tpl_list_filters_the_tpl_whose_contract_ends_within_30_days(app, client, login_as, world, db):
    soon = _ending(db, world["supervisor"], [on(12, 5), date(YEAR + 1, 1, 1)])  # 30 days from 2 December: 1 January
    later = _ending(db, world["supervisor"], [date(YEAR + 1, 1, 2), on(12, 1)])
    login_as("supervisor")
    page = _page(client.get("/tpl/?status=ending"))
    for tpl in [*soon, world["tpl"]]:
        assert tpl.full_name in page
    for tpl in [*later, world["tpl2"]]:
        assert tpl.full_name not in page
    assert _message(app, "Contract ending within 30 days") in page  # the chosen filter is shown


def test_an_evaluator_sees_the_contracts_ending_in_every_province(app, client, login_as, world, db):
    later = _ending(db, world["supervisor"], [date(YEAR + 1, 1, 2)])
    login_as("evaluator")
    page = _page(client.get("/tpl/?status=ending"))
    assert world["tpl"].full_name in page and world["tpl2"].full_name in page and later[0].full_name not in page


def test_an_unknown_contract_filter_is_refused_with_a_message(app, client, login_as, world, db):
    login_as("supervisor")
    response = client.get("/tpl/?status=soon")
    assert response.status_code == 200
    assert _message(app, "Not a valid choice.") in _page(response)
