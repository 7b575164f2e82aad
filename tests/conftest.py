import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHARED_REAL = ROOT.parent / "shared" / "data" / "real"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Hypothesis profiles (HYPOTHESIS_PROFILE=...):
# - "dev" (the default): new examples each run, a quarter as many as CI tries, so the fast loop
#   (pytest -m "not slow") stays fast while runs over days still explore;
# - "ci": derandomized, the full number of examples, so CI gives the same verdict on the same code
#   (.ci/run sets it);
# - "fuzz": a long hunt, ten times CI's examples: HYPOTHESIS_PROFILE=fuzz python -m pytest -m "not slow".
import os  # noqa: E402

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from tests.support import head_start  # noqa: E402

FUZZ_FACTOR = 10
DEV_FRACTION = 4
settings.register_profile("dev", deadline=None, max_examples=25)
settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz", deadline=None, max_examples=1000)  # (tests that set no number)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """A property test's number of examples under the profile in force (n is CI's number)."""
    if PROFILE == "fuzz":
        return n * FUZZ_FACTOR
    if PROFILE == "dev":
        return max(10, n // DEV_FRACTION)
    return n


def pytest_collection_modifyitems(items):
    """Every test under tests/faults injects a fault (into the feed, the disk or the process).
    Tests with a head start (tests/support/head_start.py) run last."""
    for item in items:
        if "faults" in item.path.parts:
            item.add_marker(pytest.mark.fault)
    head_start.last(items)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "head_start: run in a background process from the end of collection, after all other tests "
        "(tests/support/head_start.py); no fixtures, no parameters; waits=True: one that mostly waits, "
        "run beside the others instead of in a core's slot",
    )


def pytest_collection_finish(session):
    if not session.config.option.collectonly:
        head_start.start_marked(session.items)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """A head_start test has run already: its outcome is that of its background process."""
    return True if head_start.outcome_of(pyfuncitem) else None


def pytest_sessionfinish(session):
    head_start.stop_all()


@pytest.fixture(scope="session")
def recorded(tmp_path_factory):
    """A session recorded through the live app with keys (tests/support/replay_recording.py): made
    once a run, read by the replay and the seek tests."""
    from tests.support.replay_recording import record_replay_session

    return record_replay_session(tmp_path_factory)
