"""Reading people's CSV files, and matching their columns to a grid's inputs. Pure: no
Slack, no BitScale. Writing the enriched file is csvwrite.py's.

Files are bytes (kept in the database, bot/store/files.py, never on a local disk), read as a
text stream (never decoded whole into memory). A file is checked once,
end to end, before anything is spent: its encoding (UTF-8 with or without BOM, then
Windows-1252), its delimiter (comma, semicolon or tab), its header row, and that every row
fits the header. Each problem is a `CsvProblem` whose message names the problem and the fix.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

ENCODINGS = ("utf-8-sig", "cp1252")
DELIMITERS = ",;\t"
SNIFF_BYTES = 64 * 1024
SNIFF_RECORDS = 20  # the lines the delimiter is counted on
_DATA_LIKE = re.compile(
    r"(^[+-]?[\d.,]+$)|@|://|^www\.|^[\w-]+(\.[\w-]+)*\.[a-z]{2,}$", re.IGNORECASE
)
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def squash(text: str) -> str:
    """The label rule (as in the run form): lower case, letters and digits only."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


# csv refuses fields over 128 KiB by default; a spreadsheet cell holds at most 32,767
# characters, so anything near the default is a broken quote, not real data.
csv.field_size_limit(1024 * 1024)


class CsvProblem(Exception):
    """The file cannot be used as it is; the message says what is wrong and how to fix it."""


@dataclass
class CsvInfo:
    """What a check of the whole file found: how to read it, and its shape. `file_id` is
    where the file is kept (empty until it is stored); `data` is its bytes, loaded from
    there when needed and never saved with the shape."""

    file_id: str
    encoding: str
    delimiter: str
    headers: list[str]
    rows: int
    data: bytes = field(default=b"", repr=False, compare=False)

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


def inspect_csv(data: bytes, *, max_rows: int, filename: str = "the file") -> CsvInfo:
    """Check the whole file and return how to read it; raise CsvProblem when it can't be."""
    encoding = _detect_encoding(data, filename)
    delimiter = _detect_delimiter(data, encoding)
    rows = 0
    with _text(data, encoding) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader, None)
            if header is None or not any(cell.strip() for cell in header):
                raise CsvProblem(
                    f"{filename} is empty. Export the sheet again with a header row and "
                    "at least one row of data."
                )
            headers = _check_headers(header, filename)
            width = len(headers)
            number = 1  # as a spreadsheet numbers rows: the header is row 1
            for number, record in _sheet_rows(reader):
                rows += 1
                if rows > max_rows:
                    raise CsvProblem(
                        f"{filename} has more than {max_rows:,} rows, the most one batch may "
                        f"have (BATCH_MAX_ROWS). Split it into files of up to {max_rows:,} "
                        "rows and start a batch for each."
                    )
                if len(record) > width and any(c.strip() for c in record[width:]):
                    raise CsvProblem(
                        f"Row {number} of {filename} has {len(record)} cells but the "
                        f"header has {width}. A value probably holds an unquoted "
                        f"{DELIMITER_NAMES.get(delimiter, 'delimiter')}: put quotes around it, "
                        "or export the sheet again as CSV."
                    )
        except csv.Error as exc:
            raise CsvProblem(
                f"{filename} is not a well-formed CSV near line {reader.line_num} ({exc}). "
                "Export the sheet again as CSV (comma separated) and upload that."
            ) from None
    if rows == 0:
        raise CsvProblem(
            f"{filename} has a header row but no rows of data. Add the rows to enrich and "
            "upload it again."
        )
    return CsvInfo("", encoding, delimiter, headers, rows, data=data)


def _text(data: bytes, encoding: str) -> io.TextIOWrapper:
    """The file as text, decoded as it is read."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")


def _detect_encoding(data: bytes, filename: str) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8, else Windows-1252."""
    head = data[:SNIFF_BYTES]
    if not head.strip(b"\xef\xbb\xbf \r\n\t"):
        raise CsvProblem(
            f"{filename} is empty. Export the sheet again with a header row and at least one "
            "row of data."
        )
    if b"\x00" in head or head.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        raise CsvProblem(
            f"{filename} is not a CSV file (it looks like a spreadsheet, PDF or other binary "
            "file). In your spreadsheet app choose File → Download/Save as → CSV, and "
            "upload that."
        )
    for encoding in ENCODINGS:
        if _decodes(data, encoding):
            return encoding
    raise CsvProblem(
        f"{filename} is not text in a known encoding (tried UTF-8 and Windows-1252). "
        "Save it as “CSV UTF-8” and upload it again."
    )


def _decodes(data: bytes, encoding: str) -> bool:
    with _text(data, encoding) as handle:
        try:
            while handle.read(1 << 20):
                pass
        except UnicodeDecodeError:
            return False
    return True


def _detect_delimiter(data: bytes, encoding: str) -> str:
    """The delimiter the first lines use consistently, counted outside quotes.

    Not csv.Sniffer: its regular expressions backtrack for many seconds on crafted text
    (a header, then `"a` lines), holding the interpreter lock, so every other request
    of every person waits. This is one linear pass over the first lines."""
    with _text(data, encoding) as handle:
        sample = handle.read(SNIFF_BYTES)
    records = _delimiter_counts(sample)
    if not records:
        return ","
    header = records[0]
    best, best_key = ",", (0, 0, 0)
    for rank, delimiter in enumerate(reversed(DELIMITERS)):
        width = header[delimiter]
        if not width:
            continue
        agree = sum(1 for counts in records[1:] if counts[delimiter] == width)
        key = (agree, width, rank)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _delimiter_counts(sample: str, max_records: int = SNIFF_RECORDS) -> list[dict[str, int]]:
    """For each of the first records: how often each candidate delimiter appears outside
    double quotes (a quoted line break stays inside its record)."""
    records: list[dict[str, int]] = []
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    seen_text = False
    for ch in sample:
        if ch == '"':
            quoted = not quoted  # "" inside quotes toggles twice: still quoted
        elif quoted:
            continue
        elif ch in counts:
            counts[ch] += 1
        elif ch in "\r\n":
            if seen_text:
                records.append(counts)
                if len(records) >= max_records:
                    return records
            counts = dict.fromkeys(DELIMITERS, 0)
            seen_text = False
            continue
        seen_text = True
    if seen_text:
        records.append(counts)
    return records


def _check_headers(header: list[str], filename: str) -> list[str]:
    headers = [h.strip() for h in header]
    while headers and not headers[-1]:
        headers.pop()  # trailing empty columns, as spreadsheets often export them
    blank = [i + 1 for i, h in enumerate(headers) if not h]
    if blank:
        where = ", ".join(str(i) for i in blank[:5])
        raise CsvProblem(
            f"Column {where} of {filename} has no name in the header row. Give every column "
            "a name in the first row and upload it again."
        )
    seen: dict[str, int] = {}
    for h in headers:
        seen[h] = seen.get(h, 0) + 1
    twice = [h for h, n in seen.items() if n > 1]
    if twice:
        names = ", ".join(f"“{h[:40]}”" for h in twice[:5])
        raise CsvProblem(
            f"{filename} has more than one column named {names}. Rename them so each "
            "column's name is different, then upload it again."
        )
    looks_like_data = [h for h in headers if _DATA_LIKE.search(h)]
    if looks_like_data and len(looks_like_data) * 2 >= len(headers):
        raise CsvProblem(
            f"The first row of {filename} looks like data (“{looks_like_data[0][:40]}”), not "
            "column names. Add a header row naming each column (for example company_name, "
            "website) and upload it again."
        )
    return headers


def iter_rows(info: CsvInfo) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells padded to the header) for each data row.

    The header is row 1, so the first data row is row 2; blank lines are skipped but
    counted, so the numbers match what the person sees in their sheet."""
    width = len(info.headers)
    with _text(info.data, info.encoding) as handle:
        reader = csv.reader(handle, delimiter=info.delimiter)
        next(reader, None)
        for number, record in _sheet_rows(reader):
            cells = record[:width]
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            yield number, cells


def _sheet_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """The sheet's rows after the header, numbered as the sheet numbers them. A row of
    empty cells (`,,` — an empty row of the sheet) is a row, so the enriched file lines
    up with the sheet; a bare blank line is not (nor are empty rows after the last one)."""
    number = 1
    held: list[tuple[int, list[str]]] = []  # empty rows, kept until a row follows them
    for record in reader:
        number += 1
        if not record:
            continue
        if not any(cell.strip() for cell in record):
            held.append((number, record))
            continue
        yield from held
        held = []
        yield number, record


# --- column matching ----------------------------------------------------------------------


def match_columns(input_keys: list[str], headers: list[str]) -> dict[str, str]:
    """Pre-select a header for each input whose key matches it under the label rule
    (lower case, letters and digits only): `company_name` ↔ “Company Name”."""
    by_squash: dict[str, str] = {}
    for h in headers:
        by_squash.setdefault(squash(h), h)
    return {key: by_squash[squash(key)] for key in input_keys if squash(key) in by_squash}
