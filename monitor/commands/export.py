"""`vitals-monitor export SESSION`: the case report form table (--crf) and the CDISC SDTM VS domain
(--sdtm-vs) of a recorded session, as CSV files a data manager loads without retyping."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitor.commands.options import UsageError, user_error

NAME = "export"
HELP = "a session's CRF table (--crf) or CDISC SDTM VS domain (--sdtm-vs) as CSV"
DESCRIPTION = (
    "Write the case report form table (one row per protocol timepoint) and/or the SDTM VS domain "
    "of a recorded session. The session is judged by the protocol it ran under (session.json), or "
    "by --protocol FILE for a session that had none (default then: ./protocol.toml or the packaged one)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", metavar="SESSION", help="a recorded session folder (or a CSV with side files)")
    p.add_argument("--crf", metavar="OUT.csv", help="write the CRF table here")
    p.add_argument("--sdtm-vs", metavar="OUT.csv", help="write the SDTM VS domain here")
    p.add_argument("--protocol", metavar="FILE", help="judge by this protocol instead of the session's own")
    p.add_argument("--study-id", metavar="ID", help="STUDYID of the SDTM rows (default: the protocol's study_id)")


def run(args: argparse.Namespace) -> int:
    from monitor.core.thresholds_loader import ConfigError
    from monitor.recording import SessionError
    from monitor.report.page import ReportError
    from monitor.sources.csv.errors import CsvError

    try:
        return _run(args)
    except (UsageError, ConfigError, SessionError, CsvError, ReportError) as exc:
        return user_error(exc)


def _run(args: argparse.Namespace) -> int:
    from monitor.core.protocol_loader import load_protocol
    from monitor.core.text import printable
    from monitor.core.thresholds_loader import load_thresholds
    from monitor.recording import load_session
    from monitor.report.crf import crf_csv, protocol_view, session_protocol
    from monitor.report.data import make_timebase
    from monitor.report.page import ReportError
    from monitor.report.sdtm import sdtm_vs_csv, sdtm_vs_rows
    from monitor.report.writer import _write_private

    if not args.crf and not args.sdtm_vs:
        raise UsageError("say what to write: --crf OUT.csv, --sdtm-vs OUT.csv, or both")
    src = Path(args.session)
    if not src.exists():
        raise UsageError(f"'{printable(src)}' does not exist")
    rs = load_session(src)
    th = rs.stored_thresholds() or load_thresholds()
    own = session_protocol(rs)
    proto = load_protocol(args.protocol) if args.protocol else None
    if proto is None and own is None:
        proto = load_protocol()
        print(
            f"vitals-monitor: this session ran without a protocol; judged by {printable(proto.source)}",
            file=sys.stderr,
        )
    view = protocol_view(rs, th, proto)
    if view is None:
        raise UsageError("the protocol has no [schedule]: there are no timepoints to export")
    tb = make_timebase(rs)
    outputs = []
    if args.crf:
        outputs.append((Path(args.crf), crf_csv(view, tb), f"{len(view.rows)} CRF rows"))
    if args.sdtm_vs:
        rows = sdtm_vs_rows(view, rs, tb, args.study_id or "")
        outputs.append((Path(args.sdtm_vs), sdtm_vs_csv(rows), f"{len(rows)} SDTM VS rows"))
    for path, text, what in outputs:
        try:
            _write_private(path, text)
        except OSError as exc:
            raise ReportError(f"cannot write '{printable(path)}': {exc.strerror or exc}") from exc
        print(f"{what} written to {printable(path)}")
    print(f"protocol compliance: {view.compliance.text()}")
    return 0
