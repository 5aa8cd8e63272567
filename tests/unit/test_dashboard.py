"""The home pages' counts read every TPL and contract of a scope: they are kept HOME_COUNTS_SECONDS per scope and
shown with the time they were counted (README, "Performance")."""

from datetime import timedelta

import pytest

from tpl_tracker.services import dashboard

from ..clock import NOW, TODAY
from ..conftest import page_text, ui_message
from ..factories import FacilitatorFactory, UserFactory

COUNTED = "Live counts from the records, counted %(time)s (counted again every few minutes)."


def test_the_counts_of_a_scope_are_kept_with_the_time_they_were_counted(db, keep_counts, time_machine):
    evaluator, colleague = UserFactory(role="evaluator"), UserFactory(role="evaluator")
    FacilitatorFactory(region_code="82.71")
    first, counted_at = dashboard.home_figures(evaluator, TODAY)

    FacilitatorFactory(region_code="82.71")
    time_machine.move_to(NOW + timedelta(minutes=1), tick=False)
    again, again_at = dashboard.home_figures(colleague, TODAY)  # the same national scope, within the time kept

    assert first["counts"]["total"] == again["counts"]["total"] == 1
    assert again["provinces"] == [("82", 1)] and again_at == counted_at


def test_admins_and_evaluators_keep_their_own_figures(db, keep_counts):
    admin, evaluator = UserFactory(role="admin"), UserFactory(role="evaluator")
    FacilitatorFactory()

    assert "provinces" not in dashboard.home_figures(admin, TODAY)[0]
    assert "provinces" in dashboard.home_figures(evaluator, TODAY)[0]


def test_each_supervisor_has_counts_of_their_own(db, keep_counts):
    north, south = UserFactory(role="supervisor"), UserFactory(role="supervisor")
    FacilitatorFactory(supervisor=north)
    dashboard.home_figures(north, TODAY)

    assert dashboard.home_figures(south, TODAY)[0]["counts"]["total"] == 0
    assert dashboard.home_figures(north, TODAY)[0]["counts"]["total"] == 1


def test_without_keeping_every_visit_counts_again(app, db):
    assert app.config["HOME_COUNTS_SECONDS"] == 0  # the tests' setting
    admin = UserFactory(role="admin")
    FacilitatorFactory()
    before = dashboard.home_figures(admin, TODAY)[0]["counts"]["total"]
    FacilitatorFactory()

    assert dashboard.home_figures(admin, TODAY)[0]["counts"]["total"] == before + 1


@pytest.mark.parametrize("role", ["admin", "evaluator", "supervisor"])
def test_the_home_page_says_the_counts_are_live_and_when_they_were_counted(
    app, client, login_as, world, keep_counts, role
):
    login_as(role)

    page = page_text(client.get("/"))

    assert ui_message(app, COUNTED, time="@").split("@")[0] in page
