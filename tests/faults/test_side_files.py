"""A session folder whose side files are not files: named in one sentence, never waited on.

A FIFO planted as `events.jsonl` or `session.json` used to hang `alarms`, the report and replay
(the read waits for a writer that never comes)."""

from __future__ import annotations

import os

import pytest

from monitor.commands.main import main
from monitor.recording import SessionError, load_session
from monitor.recording.files import EVENTS, META


def _folder(tmp_path):
    rec = tmp_path / "rec"
    rec.mkdir()
    (rec / "readings.csv").write_text(
        "time,hr,sbp,dbp,map,spo2,temp,rr\n" + "".join(f"{i},{70 + i % 3},,,,97,,\n" for i in range(30))
    )
    return rec


@pytest.mark.parametrize("name", [EVENTS, META])
def test_a_fifo_as_a_side_file_is_refused_at_once(tmp_path, capsys, name):
    rec = _folder(tmp_path)
    os.mkfifo(rec / name)
    with pytest.raises(SessionError) as err:
        load_session(rec)
    assert "FIFO" in str(err.value) and name in str(err.value)
    assert main(["alarms", str(rec)]) == 2
    out = capsys.readouterr().err.strip()
    assert "FIFO" in out and len(out.splitlines()) == 1


def test_a_side_file_link_loop_is_named(tmp_path):
    rec = _folder(tmp_path)
    os.symlink(rec / "loop2", rec / "loop1")
    os.symlink(rec / "loop1", rec / "loop2")
    os.symlink(rec / "loop1", rec / EVENTS)
    with pytest.raises(SessionError, match="symbolic link loop"):
        load_session(rec)
