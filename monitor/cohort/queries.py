"""Every cohort table as one SQL query, run by DuckDB over the cohort's Parquet files.

The queries read only the Parquet (monitor/cohort/dataset.py); nothing here knows a session
folder. Each returns a pandas DataFrame with one row per line of the printed table.

Definitions (docs/cohort.md says the same for a reader):
- "After the dose": readings from the moment the initial dose was given (`since_dose_s >= 0`).
- Peak: the highest plausible reading after the dose (the first one of equal readings), and its
  time after the dose; for HR, a continuous stream, the highest 1-minute median (minutes counted
  from the dose; its time is the middle of that minute), so seconds of motion artifact that stay
  within the plausible range are not taken for a peak. Baseline: the median of the readings in
  the 30 min before the dose.
- Time beyond a limit: each reading stands until the next one, for at most `hold_s` (its stream's
  "no data" limit), as in the single-session report (monitor.core.beyond_limits). Missing: the
  share of the session's span that no reading of the stream covers that way.
- Incidence: the published definitions (strictly above: SBP > 160 mmHg, HR > 100 bpm,
  T > 38 °C) on the readings after the dose. Trials took HR with each blood pressure, so the HR
  compared with them is the HR shown at each cuff reading (the newest HR at most 10 s older than
  it); HR > 100 as a 1-minute median is shown too, for what a continuous monitor sees. Confidence
  intervals: Wilson score, 95 %.
- Alarms: episodes (an alarm from active until cleared, monitor.core.episodes) of the alarm log
  the engine gave (recorded live, or recomputed); per hour of recording.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from monitor.cohort import dataset

PUBLISHED_N = 166  # Vizeli & Liechti 2017, pooled 75/125 mg
PUBLISHED = (
    ("sbp_gt_160", "SBP > 160 mmHg", 0.33),
    ("hr_gt_100", "HR > 100 bpm (at cuff readings)", 0.29),
    ("temp_gt_38", "temperature > 38 °C", 0.19),
)
PEAK_VITALS = ("hr", "sbp", "dbp", "temp")
HR_AT_CUFF_S = 10.0  # the HR "shown at" a cuff reading is at most this much older than it
BASELINE_WINDOW_S = 1800.0

_MACROS = """
CREATE MACRO wilson_lo(k, n) AS
  CASE WHEN n > 0 THEN ((k / n + 1.96 ^ 2 / (2 * n)) - 1.96 * sqrt(k / n * (1 - k / n) / n + 1.96 ^ 2 / (4 * n * n)))
                       / (1 + 1.96 ^ 2 / n) END;
CREATE MACRO wilson_hi(k, n) AS
  CASE WHEN n > 0 THEN ((k / n + 1.96 ^ 2 / (2 * n)) + 1.96 * sqrt(k / n * (1 - k / n) / n + 1.96 ^ 2 / (4 * n * n)))
                       / (1 + 1.96 ^ 2 / n) END;
"""

_PEAKS = """
SELECT site, session,
  {baselines},
  count(sbp) AS cuff_readings
FROM readings GROUP BY site, session
"""
# A sparse vital's peak after the dose, from its own few rows (the first of equal readings).
_PEAK = """
SELECT site, session, max({v}) AS {v}_peak, arg_min(since_dose_s, [-{v}, since_dose_s]) / 3600 AS {v}_peak_h
FROM readings WHERE {v} IS NOT NULL AND since_dose_s >= 0 GROUP BY site, session
"""

# HR is a continuous stream: its peak is that of its 1-minute medians (minutes counted from the
# dose), so that a few seconds of motion artifact within the plausible range are not a "peak".
_HR_MINUTES = """
SELECT site, session, floor(since_dose_s / 60) AS minute, median(hr) AS hr
FROM readings WHERE since_dose_s >= 0 AND hr IS NOT NULL GROUP BY ALL
"""

# Each reading of a stream stands until the next, for at most hold_s: what it covers.
_COVER = """
WITH hr AS (
  SELECT r.site, r.session, coalesce(lead(t) OVER (PARTITION BY r.site, r.session ORDER BY t), s.end_t) - t AS gap
  FROM readings r JOIN sessions s USING (site, session) WHERE hr IS NOT NULL
), bp AS (
  SELECT r.site, r.session, coalesce(lead(t) OVER (PARTITION BY r.site, r.session ORDER BY t), s.end_t) - t AS gap
  FROM readings r JOIN sessions s USING (site, session) WHERE sbp IS NOT NULL
), holds AS (
  SELECT site, session, vital, any_value(hold_s) AS hold_s FROM limits WHERE rule = 'limit' GROUP BY ALL
), hc AS (
  SELECT hr.site, hr.session, sum(least(greatest(gap, 0), h.hold_s)) AS covered FROM hr JOIN holds h
    ON h.site = hr.site AND h.session = hr.session AND h.vital = 'hr' GROUP BY ALL
), bc AS (
  SELECT bp.site, bp.session, sum(least(greatest(gap, 0), h.hold_s)) AS covered FROM bp JOIN holds h
    ON h.site = bp.site AND h.session = bp.session AND h.vital = 'sbp' GROUP BY ALL
)
SELECT s.site, s.session, coalesce(hc.covered, 0) AS hr_covered_s, coalesce(bc.covered, 0) AS bp_covered_s
FROM sessions s LEFT JOIN hc USING (site, session) LEFT JOIN bc USING (site, session)
"""


class Cohort:
    """A DuckDB connection with one view per table of the cohort in `root`."""

    def __init__(self, root: Path, threads: int | None = None, scan: bool = False) -> None:
        """`scan`: answer the per-session tables from every reading again (as the ingest does for
        each session) instead of reading the facts the ingest wrote; for comparison."""
        self.root = Path(root)
        self.scan = scan
        self.db = duckdb.connect(":memory:")
        if threads:
            self.db.execute(f"SET threads = {int(threads)}")
        for table in dataset.TABLES:
            pattern = dataset.glob(self.root, table)
            if not any(self.root.joinpath(table).glob("site=*/session=*/*.parquet")):
                if table in FACTS:
                    continue  # (an empty cohort: nothing asks for them)
                # A table no session has a file in (e.g. no what-if was asked for): an empty view
                # with its columns, so every query still runs.
                from monitor.cohort.tables import SCHEMAS

                cols = ", ".join(
                    f'NULL::{_sql_type(t)} AS "{n}"'
                    for n, t in zip(SCHEMAS[table].names, SCHEMAS[table].types, strict=True)
                )
                self.db.execute(
                    f"CREATE VIEW {table} AS SELECT NULL::VARCHAR AS site, NULL::VARCHAR AS session, {cols} LIMIT 0"
                )
                continue
            self.db.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet({_lit(pattern)}, hive_partitioning = true, "
                "hive_types = {'site': VARCHAR, 'session': VARCHAR})"
            )
        self.db.execute(_MACROS)

    def close(self) -> None:
        self.db.close()

    def sql(self, query: str):
        return self.db.execute(query).df()

    def count_sessions(self) -> int:
        row = self.db.execute("SELECT count(*) FROM sessions").fetchone()
        return int(row[0]) if row else 0

    # ---------------------------------------------- per session: facts computed at ingest (see FACTS)
    def _facts(self, table: str, sql: str):
        if self.scan:
            return self.sql(sql)
        return self.sql(f"SELECT site, session, * EXCLUDE (site, session) FROM {table} ORDER BY site, session")

    def per_session(self):
        return self._facts("facts_per_session", self.per_session_sql())

    def time_beyond(self):
        """Per session, vital and limit: time and readings at or beyond it (inclusive, as the alarms)."""
        df = self._facts("facts_time_beyond", self.time_beyond_sql())
        key = df.assign(_d=df["direction"].map({"upper": 0, "lower": 1}), _v=-df["limit_value"])
        key = key.sort_values(["site", "session", "vital", "_d", "_v"], kind="stable")
        return key.drop(columns=["_d", "_v"]).reset_index(drop=True)

    def incidence_per_session(self):
        """Per session with a dose: did each published threshold get crossed after it?"""
        df = self._facts("facts_incidence", self.incidence_sql())
        return df[df["has_dose"]].drop(columns=["has_dose"]).reset_index(drop=True)

    def data_quality(self):
        """Per session: rejected lines, artifacts per vital, gaps longer than each stream's no-data limit."""
        return self._facts("facts_quality", self.quality_sql())

    @staticmethod
    def per_session_sql() -> str:
        raw = [v for v in PEAK_VITALS if v != "hr"]
        peaks = ", ".join(f"pk_{v} AS ({_PEAK.format(v=v)})" for v in raw)
        peak_cols = ", ".join(f"pk_{v}.{v}_peak, pk_{v}.{v}_peak_h" for v in raw)
        peak_joins = " ".join(f"LEFT JOIN pk_{v} USING (site, session)" for v in raw)
        baselines = ",\n  ".join(
            f"median({v}) FILTER (WHERE since_dose_s >= -{BASELINE_WINDOW_S} AND since_dose_s < 0) AS {v}_baseline"
            for v in PEAK_VITALS
        )
        return f"""
            WITH p AS ({_PEAKS.format(baselines=baselines)}), c AS ({_COVER}), {peaks},
            m AS ({_HR_MINUTES}),
            h AS (
              SELECT site, session, max(hr) AS hr_peak, arg_min((minute * 60 + 30) / 3600, [-hr, minute]) AS hr_peak_h
              FROM m GROUP BY site, session
            )
            SELECT s.site, s.session, s.label, s.simulated,
              s.duration_s / 3600 AS hours, s.doses, s.initial_mg, s.supplemental_mg, s.total_mg,
              h.hr_peak, h.hr_peak_h, {peak_cols}, p.* EXCLUDE (site, session),
              1 - least(c.hr_covered_s / nullif(s.duration_s, 0), 1) AS hr_missing,
              1 - least(c.bp_covered_s / nullif(s.duration_s, 0), 1) AS bp_missing
            FROM sessions s JOIN p USING (site, session) JOIN c USING (site, session)
              LEFT JOIN h USING (site, session) {peak_joins}
            ORDER BY s.site, s.session
            """

    @staticmethod
    def time_beyond_sql() -> str:
        return """
            WITH long AS (
              UNPIVOT (SELECT site, session, t, hr, sbp, dbp, map, spo2, temp, rr FROM readings)
              ON hr, sbp, dbp, map, spo2, temp, rr INTO NAME vital VALUE value
            ), held AS (
              SELECT site, session, vital, value,
                coalesce(lead(t) OVER (PARTITION BY site, session, vital ORDER BY t) - t, 0) AS gap
              FROM long
            )
            SELECT h.site, h.session, h.vital, l.direction, l.priority, l.value AS limit_value,
              coalesce(sum(least(h.gap, l.hold_s)) FILTER (WHERE CASE WHEN l.direction = 'upper'
                THEN h.value >= l.value ELSE h.value <= l.value END), 0) AS seconds,
              count(*) FILTER (WHERE CASE WHEN l.direction = 'upper'
                THEN h.value >= l.value ELSE h.value <= l.value END) AS readings
            FROM held h JOIN limits l
              ON l.rule = 'limit' AND l.site = h.site AND l.session = h.session AND l.vital = h.vital
            GROUP BY ALL
            """

    @staticmethod
    def incidence_sql() -> str:
        return f"""
            WITH post AS (
              SELECT site, session, t, hr, sbp, temp FROM readings WHERE since_dose_s >= 0
            ), cuff AS (
              SELECT site, session, t, sbp FROM post WHERE sbp IS NOT NULL
            ), hr AS (
              SELECT site, session, t, hr FROM readings WHERE hr IS NOT NULL
            ), cuff_hr AS (
              SELECT c.site, c.session, h.hr FROM cuff c ASOF LEFT JOIN hr h
                ON c.site = h.site AND c.session = h.session AND c.t >= h.t
              WHERE c.t - h.t <= {HR_AT_CUFF_S}
            ), a AS (
              SELECT site, session,
                CASE WHEN count(sbp) > 0 THEN bool_or(sbp > 160) END AS sbp_gt_160,
                CASE WHEN count(temp) > 0 THEN bool_or(temp > 38) END AS temp_gt_38
              FROM post GROUP BY site, session
            ), b AS (
              SELECT site, session, bool_or(hr > 100) AS hr_gt_100 FROM cuff_hr GROUP BY site, session
            ), m AS ({_HR_MINUTES}), mm AS (
              SELECT site, session, bool_or(hr > 100) AS hr_minute_gt_100 FROM m GROUP BY site, session
            )
            SELECT s.site, s.session, s.dose_t IS NOT NULL AS has_dose,
              a.sbp_gt_160, b.hr_gt_100, a.temp_gt_38, mm.hr_minute_gt_100
            FROM sessions s LEFT JOIN a USING (site, session) LEFT JOIN b USING (site, session)
              LEFT JOIN mm USING (site, session)
            """

    # ------------------------------------------------------------------------------ incidence

    def incidence(self):
        per = self.incidence_per_session()  # noqa: F841  (DuckDB reads the DataFrame by its name)
        published = " UNION ALL ".join(
            f"SELECT {i} AS i, '{key}' AS measure, '{label}' AS what, {share} AS published"
            for i, (key, label, share) in enumerate(PUBLISHED)
        )
        published += " UNION ALL SELECT 3, 'hr_minute_gt_100', 'HR > 100 bpm (1-minute median)', NULL"
        return self.db.execute(
            f"""
            WITH m AS ({published}), long AS (
              UNPIVOT (SELECT sbp_gt_160, hr_gt_100, temp_gt_38, hr_minute_gt_100 FROM per)
              ON sbp_gt_160, hr_gt_100, temp_gt_38, hr_minute_gt_100 INTO NAME measure VALUE hit
            ), c AS (
              SELECT measure, count(*) FILTER (WHERE hit) AS sessions_with, count(*) AS sessions
              FROM long GROUP BY measure
            )
            SELECT m.what, coalesce(c.sessions_with, 0) AS sessions_with, coalesce(c.sessions, 0) AS sessions,
              c.sessions_with / nullif(c.sessions, 0) AS share,
              wilson_lo(c.sessions_with, c.sessions) AS ci_lo, wilson_hi(c.sessions_with, c.sessions) AS ci_hi,
              m.published, {PUBLISHED_N} AS published_n,
              wilson_lo(round(m.published * {PUBLISHED_N}), {PUBLISHED_N}) AS published_lo,
              wilson_hi(round(m.published * {PUBLISHED_N}), {PUBLISHED_N}) AS published_hi
            FROM m LEFT JOIN c USING (measure) ORDER BY m.i
            """
        ).df()

    def time_to_peak(self):
        """The distribution of time to peak after the dose, beside Kolbrich 2008 (1-2 h)."""
        per = self.per_session()  # noqa: F841
        return self.db.execute(
            """
            WITH long AS (
              UNPIVOT (SELECT hr_peak_h, sbp_peak_h, dbp_peak_h, temp_peak_h FROM per)
              ON hr_peak_h, sbp_peak_h, dbp_peak_h, temp_peak_h INTO NAME v VALUE h
            )
            SELECT upper(replace(v, '_peak_h', '')) AS vital, count(h) AS sessions,
              min(h) AS min_h, quantile_cont(h, 0.25) AS p25_h, median(h) AS median_h,
              quantile_cont(h, 0.75) AS p75_h, max(h) AS max_h,
              count(*) FILTER (WHERE h >= 1 AND h <= 2) / nullif(count(h), 0) AS share_1_2h,
              '1-2 h (Kolbrich 2008)' AS published
            FROM long GROUP BY v
            ORDER BY list_position(['HR_PEAK_H', 'SBP_PEAK_H', 'DBP_PEAK_H', 'TEMP_PEAK_H'], upper(v))
            """
        ).df()

    # ------------------------------------------------------------------------------ alarms
    def alarm_burden(self):
        """Alarms by priority and vital: per hour, time to acknowledge, shorter than 10 s, reminders."""
        return self.sql(
            """
            WITH hours AS (SELECT sum(duration_s) / 3600 AS h FROM sessions)
            SELECT coalesce(priority, 'all') AS priority, coalesce(vital, CASE WHEN priority IS NULL THEN ''
                ELSE 'all' END) AS vital,
              count(*) AS alarms, count(*) / any_value(hours.h) AS per_hour,
              count(ack_s) / count(*) AS acknowledged, median(ack_s) AS ack_median_s,
              quantile_cont(ack_s, 0.9) AS ack_p90_s,
              count(*) FILTER (WHERE duration_s < 10) AS under_10s, sum(reminders) AS reminders,
              median(duration_s) AS median_duration_s
            FROM episodes, hours
            GROUP BY GROUPING SETS ((priority, vital), (priority), ())
            ORDER BY list_position(['high', 'medium', 'low', 'technical'], priority) NULLS LAST,
              vital = 'all', alarms DESC
            """
        )

    def time_in_alarm(self):
        """Share of the recorded time with at least one alarm on (overlaps counted once), by priority."""
        return self.sql(
            """
            WITH e AS (
              SELECT site, session, 'any' AS class, start_t, end_t FROM episodes
              UNION ALL SELECT site, session, priority, start_t, end_t FROM episodes
            ), o AS (
              SELECT *, max(end_t) OVER (PARTITION BY site, session, class ORDER BY start_t, end_t
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_end FROM e
            ), i AS (
              SELECT *, sum(CASE WHEN before_end IS NULL OR start_t > before_end THEN 1 ELSE 0 END)
                OVER (PARTITION BY site, session, class ORDER BY start_t, end_t) AS island FROM o
            ), u AS (
              SELECT site, session, class, max(end_t) - min(start_t) AS seconds FROM i GROUP BY ALL
            ), per AS (
              SELECT s.site, s.session, c.class, coalesce(sum(u.seconds), 0) AS seconds, any_value(s.duration_s) AS dur
              FROM sessions s CROSS JOIN (SELECT DISTINCT class FROM e) c
              LEFT JOIN u ON u.site = s.site AND u.session = s.session AND u.class = c.class
              GROUP BY ALL
            )
            SELECT class AS priority, sum(seconds) / nullif(sum(dur), 0) AS share_of_time,
              median(seconds / nullif(dur, 0)) AS median_session_share,
              max(seconds / nullif(dur, 0)) AS max_session_share,
              count(*) FILTER (WHERE seconds > 0) AS sessions_with
            FROM per GROUP BY class
            ORDER BY list_position(['any', 'high', 'medium', 'low', 'technical'], class)
            """
        )

    def what_if(self):
        """Alarms under each what-if thresholds file beside those in force, by priority and vital."""
        return self.sql(
            """
            WITH hours AS (SELECT sum(duration_s) / 3600 AS h FROM sessions),
            v AS (SELECT DISTINCT variant FROM whatif_diffs),
            base AS (SELECT v.variant, priority, vital, count(*) AS n FROM episodes, v GROUP BY ALL),
            alt AS (SELECT variant, priority, vital, count(*) AS n FROM whatif_episodes GROUP BY ALL),
            d AS (
              SELECT variant, coalesce(new_priority, old_priority) AS priority, vital,
                count(*) FILTER (WHERE kind = 'added') AS added,
                count(*) FILTER (WHERE kind = 'removed') AS removed,
                count(*) FILTER (WHERE kind = 'changed') AS changed
              FROM whatif_diffs GROUP BY ALL
            ), k AS (
              SELECT variant, priority, vital FROM base UNION SELECT variant, priority, vital FROM alt
              UNION SELECT variant, priority, vital FROM d
            )
            SELECT k.variant, k.priority, k.vital,
              coalesce(base.n, 0) AS alarms_in_force, coalesce(alt.n, 0) AS alarms_what_if,
              coalesce(base.n, 0) / hours.h AS per_hour_in_force,
              coalesce(alt.n, 0) / hours.h AS per_hour_what_if,
              coalesce(d.added, 0) AS added, coalesce(d.removed, 0) AS removed, coalesce(d.changed, 0) AS changed
            FROM k CROSS JOIN hours
              LEFT JOIN base USING (variant, priority, vital)
              LEFT JOIN alt USING (variant, priority, vital)
              LEFT JOIN d USING (variant, priority, vital)
            ORDER BY k.variant, list_position(['high', 'medium', 'low', 'technical'], k.priority), k.vital
            """
        )

    # ------------------------------------------------------------------------------ data quality
    @staticmethod
    def quality_sql() -> str:
        art = ",\n  ".join(
            f"count(*) FILTER (WHERE artifacts & {1 << i} <> 0) AS {v}_artifacts"
            for i, v in enumerate(("hr", "sbp", "dbp", "map", "spo2", "temp", "rr"))
        )
        return f"""
            WITH a AS (SELECT site, session, {art} FROM readings GROUP BY site, session),
            st AS (SELECT site, session, vital AS stream, value AS after_s FROM limits WHERE rule = 'stale'),
            g AS (
              SELECT site, session, 'hr' AS stream,
                lead(t) OVER (PARTITION BY site, session ORDER BY t) - t AS gap
              FROM readings WHERE hr IS NOT NULL OR artifacts & 1 <> 0
              UNION ALL
              SELECT site, session, 'bp', lead(t) OVER (PARTITION BY site, session ORDER BY t) - t
              FROM readings WHERE sbp IS NOT NULL OR artifacts & 2 <> 0
            ), gaps AS (
              SELECT g.site, g.session,
                count(*) FILTER (WHERE g.stream = 'hr' AND g.gap > st.after_s) AS hr_gaps,
                max(g.gap) FILTER (WHERE g.stream = 'hr' AND g.gap > st.after_s) AS hr_longest_gap_s,
                count(*) FILTER (WHERE g.stream = 'bp' AND g.gap > st.after_s) AS bp_gaps,
                max(g.gap) FILTER (WHERE g.stream = 'bp' AND g.gap > st.after_s) AS bp_longest_gap_s
              FROM g JOIN st ON st.site = g.site AND st.session = g.session AND st.stream = g.stream
              GROUP BY g.site, g.session
            )
            SELECT s.site, s.session, s.readings, s.rejected_lines, s.notes AS loader_notes,
              a.* EXCLUDE (site, session),
              coalesce(gaps.hr_gaps, 0) AS hr_gaps, gaps.hr_longest_gap_s,
              coalesce(gaps.bp_gaps, 0) AS bp_gaps, gaps.bp_longest_gap_s
            FROM sessions s JOIN a USING (site, session) LEFT JOIN gaps USING (site, session)
            ORDER BY s.site, s.session
            """

    def rejected_lines(self):
        return self.sql("SELECT site, session, line, reason FROM rejected ORDER BY site, session, line")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_type(t) -> str:
    import pyarrow as pa

    if pa.types.is_floating(t):
        return "DOUBLE"
    if pa.types.is_integer(t):
        return "BIGINT"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    return "VARCHAR"


# Per-session tables the ingest computes once per session with the same SQL (monitor/cohort/ingest.py)
# and writes beside its readings, so the cohort's tables read 500 rows, not 14 M readings.
FACTS = {
    "facts_per_session": Cohort.per_session_sql,
    "facts_time_beyond": Cohort.time_beyond_sql,
    "facts_incidence": Cohort.incidence_sql,
    "facts_quality": Cohort.quality_sql,
}


def session_facts(db: duckdb.DuckDBPyConnection, keep_keys: bool = False) -> dict:
    """The FACTS of the sessions whose tables `db` holds (as readings, limits, sessions), as Arrow
    tables; without the site and session columns (the partition) unless `keep_keys`."""
    out = {}
    for table, sql in FACTS.items():
        result = db.sql(sql()).to_arrow_table()
        if not keep_keys:
            result = result.drop_columns([c for c in ("site", "session") if c in result.column_names])
        out[table] = result
    return out


# The tables a user sees, in order: (name, title, method). The benchmark times each.
TABLE_QUERIES = (
    ("per_session", "Per session: peaks after the initial dose, baseline, cuff readings, missing data, doses"),
    ("time_beyond", "Time at or beyond each limit, per session"),
    ("incidence", "Incidence across sessions, beside Vizeli & Liechti 2017"),
    ("time_to_peak", "Time to peak after the dose, beside Kolbrich 2008"),
    ("alarm_burden", "Alarm burden by priority and vital"),
    ("time_in_alarm", "Share of time in alarm"),
    ("what_if", "What if: alarms under other thresholds"),
    ("data_quality", "Data quality per session"),
)
