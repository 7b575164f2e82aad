"""Cell text: which cells mean "not measured", decimal commas, and a vital column's numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitor.sources.csv.bounds import FAR_BEYOND

__all__ = ["EXTRA_NA", "text_values", "vital_values"]

# Cell texts that mean "not measured", as pandas' read_csv is told (besides its defaults: "", NA,
# N/A, NaN, null, ...), and the same set lower-cased for cells that reach us as text.
EXTRA_NA = ["-", "--", "---", "----", "N.A.", "n.a."]
_NA_TEXT = {
    "",
    "na",
    "n/a",
    "nan",
    "-nan",
    "+nan",
    "null",
    "none",
    "#n/a",
    "#n/a n/a",
    "#na",
    "-1.#ind",
    "-1.#qnan",
    "1.#ind",
    "1.#qnan",
    "<na>",
    "nat",
    "-",
    "--",
    "---",
    "----",
    "n.a.",
}


def text_values(raw: pd.Series, decimal_comma: bool) -> tuple[pd.Series, np.ndarray]:
    """(stripped text with decimal commas made points, mask of cells that mean 'not measured')."""
    na = raw.isna().to_numpy()
    st = raw.astype(object).where(~na, "").astype(str).str.strip()
    low = st.str.lower()
    na = na | low.isin(_NA_TEXT).to_numpy()
    if decimal_comma:
        st = st.str.replace(",", ".", regex=False)
    return st, na


def vital_values(raw: pd.Series, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray, bool]:
    """(float values, mask of bad cells, saw a decimal comma) for one vital column.

    Bad cells: text that is not a number, infinity, and numbers of FAR_BEYOND or more (no
    measurement; a 309-digit cell must not reach the alarm engine as a value)."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        vals = raw.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            return vals, np.abs(vals) >= FAR_BEYOND, False
    st, na = text_values(raw, decimal_comma)
    had_comma = bool(decimal_comma and raw.astype(str).str.contains(",", regex=False, na=False).any())
    vals = np.array(pd.to_numeric(st, errors="coerce").to_numpy(dtype=float, na_value=np.nan), dtype=float)
    vals[na] = np.nan
    with np.errstate(invalid="ignore"):
        bad = (np.isnan(vals) & ~na) | (np.abs(vals) >= FAR_BEYOND)
    return vals, bad, had_comma
