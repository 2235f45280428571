"""CSV tables: decoded like text, parsed with pandas, capped in rows and columns."""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING

from dl_core.errors import UploadError
from dl_core.uploads.common import MAX_UPLOAD_BYTES, _subject
from dl_core.uploads.text import load_text

if TYPE_CHECKING:  # pragma: no cover
    import pandas


# --------------------------------------------------------------------------- tables


def _parser_message(err: Exception) -> str:
    text = str(err)
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        want, line, got = match.groups()
        return f"line {line} has {got} values but the first rows have {want}"
    if "EOF inside string" in text or "EOF while" in text:
        return "a quotation mark is opened but never closed"
    return "its rows do not have a consistent number of columns"


def load_csv(
    data: bytes,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_rows: int = 100_000,
    max_columns: int = 1000,
    name: str = "",
) -> tuple[pandas.DataFrame, list[str]]:
    """Parse an uploaded CSV (comma, semicolon, tab or ``|`` separated) into a DataFrame.

    The bytes are decoded with the same rules as :func:`load_text`.

    Args:
        data: The uploaded bytes.
        max_bytes: Largest accepted file size.
        max_rows: Rows kept; extra rows are dropped with a warning.
        max_columns: Most columns accepted.
        name: The upload's filename, used only in messages.

    Returns:
        ``(frame, warnings)``; ``warnings`` are sentences to show the visitor.

    Raises:
        UploadError: Not text, not a table, no data rows, or too many columns.
    """
    import pandas as pd

    subject = _subject(name)
    text = load_text(data, max_bytes=max_bytes, max_chars=max_bytes, name=name)
    lines = text.split("\n", 20)[:20]
    sample = "\n".join(lines)[:16384]
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    if lines[0].count(sep) + 1 > max_columns:
        raise UploadError(
            f"{subject} has {lines[0].count(sep) + 1:,} columns, more than the limit of "
            f"{max_columns:,}. Please upload a table with fewer columns."
        )

    def not_table(why: str) -> str:
        return (
            f"{subject} could not be read as a table: {why}. Please upload a CSV file with a "
            "header row and one row per example, with values separated by commas."
        )

    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, nrows=max_rows + 1, engine="c")
    except pd.errors.EmptyDataError as err:
        raise UploadError(not_table("it has no rows")) from err
    except pd.errors.ParserError as err:
        raise UploadError(not_table(_parser_message(err))) from err
    except (ValueError, csv.Error, OverflowError, MemoryError) as err:
        raise UploadError(not_table("its contents are not in CSV form")) from err
    if frame.shape[1] == 0:
        raise UploadError(not_table("it has no columns"))
    if frame.shape[1] > max_columns:
        raise UploadError(
            f"{subject} has {frame.shape[1]:,} columns, more than the limit of "
            f"{max_columns:,}. Please upload a table with fewer columns."
        )
    if frame.shape[0] == 0:
        raise UploadError(
            f"{subject} has a header row but no data rows. Please upload a CSV with at least "
            "one row of values under the header."
        )
    notes: list[str] = []
    if len(frame) > max_rows:
        frame = frame.iloc[:max_rows].copy()
        notes.append(
            f"Only the first {max_rows:,} rows were used; the rest of the file was ignored."
        )
    if frame.shape[1] == 1:
        notes.append(
            "Only one column was found. If your file separates values with something other "
            "than commas, semicolons, tabs or '|', save it again as a comma-separated CSV."
        )
    return frame, notes
