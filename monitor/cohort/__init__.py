"""Across sessions: a trial's recorded sessions as one dataset (partitioned Parquet, written with
pyarrow) and every cohort table as DuckDB SQL over it. No Textual here (tests/test_walls.py)."""
