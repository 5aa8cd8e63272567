"""The serving process's settings (`tpl_tracker/process.py`)."""

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tpl_tracker.process import OLDER_THRESHOLDS, YOUNG_THRESHOLD, tune_garbage_collector

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def collector_settings_restored():
    """Put the cycle collector back as it was after the test."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_the_loaded_app_is_frozen_and_young_objects_are_collected_less_often(app, collector_settings_restored):
    gc.unfreeze()
    loaded = object(), [object()]  # a container the app holds once started

    tune_garbage_collector()

    assert gc.get_threshold() == (YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
    assert gc.get_freeze_count() > 0
    assert not any(item is loaded for item in gc.get_objects())  # left out of every collection from now on


def test_the_wsgi_entry_point_tunes_the_collector(tmp_path):
    """gunicorn and `flask` load the app through wsgi.py: a process that imports it has the settings."""
    probe = "import gc, wsgi; print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"
    environment = dict(os.environ, FLASK_CONFIG="testing", DATABASE_URL=f"sqlite:///{tmp_path}/probe.db")
    answer = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    assert answer.stdout.split() == [str(YOUNG_THRESHOLD), "True"]
