"""Reading people's CSVs (encodings, dialects, header problems), matching columns under the
label rule, rendering cells and neutralising formulas."""

from __future__ import annotations

import pytest

from bot.batches.csvread import CsvProblem, inspect_csv, iter_rows, match_columns
from bot.batches.csvwrite import cell_text, neutralise, read_text
from bot.batches.rows import RowResult, plan, result_cells, write_result


def check(tmp_path, data: bytes, max_rows=100):
    return inspect_csv(data, max_rows=max_rows, filename="leads.csv")


@pytest.mark.parametrize(
    "data, encoding",
    [
        ("name,city\nZoë,Zürich\n".encode(), "utf-8-sig"),
        (b"\xef\xbb\xbf" + "name,city\nZoë,Zürich\n".encode(), "utf-8-sig"),
        ("name,city\nZoë,Zürich\n".encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_utf8_with_or_without_bom_then_windows_1252(tmp_path, data, encoding):
    info = check(tmp_path, data)
    assert info.encoding == encoding
    assert info.headers == ["name", "city"]
    assert list(iter_rows(info)) == [(2, ["Zoë", "Zürich"])]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_comma_semicolon_and_tab(tmp_path, delimiter):
    text = delimiter.join(["Company Name", "Website"]) + "\r\n"
    text += delimiter.join(["Acme", "acme.io"]) + "\r\n" + delimiter.join(["Globex", "g.com"])
    info = check(tmp_path, text.encode())
    assert info.delimiter == delimiter
    assert [cells for _, cells in iter_rows(info)] == [["Acme", "acme.io"], ["Globex", "g.com"]]


def test_quoted_newlines_and_delimiters_stay_in_their_cell(tmp_path):
    info = check(tmp_path, b'name,notes\n"Acme, Inc.","line one\nline two"\nGlobex,x\n')
    rows = list(iter_rows(info))
    assert rows[0] == (2, ["Acme, Inc.", "line one\nline two"])
    assert rows[1] == (3, ["Globex", "x"])  # numbered by record, as a spreadsheet shows it
    assert info.rows == 2


def test_short_rows_are_padded_and_blank_lines_skipped(tmp_path):
    info = check(tmp_path, b"a,b,c\n1,2\n\n4,5,6\n")
    assert list(iter_rows(info)) == [(2, ["1", "2", ""]), (4, ["4", "5", "6"])]


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "is empty"),
        (b"\xef\xbb\xbf\r\n", "is empty"),
        (b"name,website\n", "no rows of data"),
        (b"acme.io,ana@acme.io\nglobex.com,bo@globex.com\n", "looks like data"),
        (b"name,,city\nx,y,z\n", "Column 2"),
        (b"name,city,name\nx,y,z\n", "more than one column named"),
        (b"name,city\nx,y,z\n", "Row 2 of leads.csv has 3 cells but the header has 2"),
        (b"PK\x03\x04\x14\x00\x06\x00binary", "not a CSV file"),
        (b"name\n\x81\x8d\x8f\x90\x9d\n", "not text in a known encoding"),
    ],
)
def test_bad_files_are_named_with_the_fix(tmp_path, data, words):
    with pytest.raises(CsvProblem) as caught:
        check(tmp_path, data)
    assert words in str(caught.value)


def test_too_many_rows_names_the_limit(tmp_path):
    data = b"name\n" + b"".join(b"row%d\n" % i for i in range(11))
    with pytest.raises(CsvProblem) as caught:
        check(tmp_path, data, max_rows=10)
    assert "more than 10 rows" in str(caught.value) and "BATCH_MAX_ROWS" in str(caught.value)
    assert check(tmp_path, data, max_rows=11).rows == 11


def test_trailing_empty_header_cells_are_ignored(tmp_path):
    info = check(tmp_path, b"name,city,,\nx,y,,\n")
    assert info.headers == ["name", "city"]


def test_column_matching_uses_the_label_rule():
    headers = ["Company Name", "WEBSITE", "e-mail", "Owner"]
    assert match_columns(["company_name", "website", "email", "phone"], headers) == {
        "company_name": "Company Name",
        "website": "WEBSITE",
        "email": "e-mail",
    }


@pytest.mark.parametrize(
    "value, text",
    [
        (None, ""),
        ("plain", "plain"),
        (1234567, "1234567"),
        (2.5, "2.5"),
        (3.0, "3"),
        (True, "true"),
        (["a", "b", 3], "a, b, 3"),
        ({"city": "Paris", "n": [1, 2]}, '{"city":"Paris","n":[1,2]}'),
        ([{"a": 1}], '[{"a":1}]'),
        ("Zoë", "Zoë"),
    ],
)
def test_cells_are_readable(value, text):
    assert cell_text(value) == text


@pytest.mark.parametrize(
    "cell, safe",
    [
        ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-5", "-5"),
        ("+3.25", "+3.25"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formulas_are_neutralised_numbers_are_not(cell, safe):
    assert neutralise(cell) == safe


def test_plan_and_enriched_file_round_trip(tmp_path):
    info = check(
        tmp_path,
        b"Company,Site,Note\nAcme,acme.io,=1+1\nGlobex,,x\nAcme,acme.io,again\nInitech,i.com,\n",
    )
    mapping = {"company_name": "Company", "website": "Site"}
    counted = plan(info, mapping)
    assert (counted.rows_total, counted.runs, counted.duplicates, counted.skipped) == (4, 2, 1, 1)
    assert counted.skipped_rows == [(3, "website")]
    results = {
        "Acme": RowResult("completed", {"o1": {"value": {"k": 1}}, "o2": {"value": "@x"}}, None),
        "Initech": RowResult("failed", None, "Provider said no"),
    }
    from bot.batches.rows import digest

    by_digest = {
        digest({"company_name": "Acme", "website": "acme.io"}): results["Acme"],
        digest({"company_name": "Initech", "website": "i.com"}): results["Initech"],
    }
    outputs = [{"id": "o1", "name": "Data"}, {"id": "o2", "name": "Site"}]
    out = write_result(info, mapping, outputs, by_digest.get)
    assert out.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    lines = read_text(out).splitlines()
    assert lines[0] == (
        "Company,Site,Note,Data,Site (2),bitscale_reused_from_date,bitscale_status,bitscale_error"
    )
    assert lines[1] == "Acme,acme.io,'=1+1,\"{\"\"k\"\":1}\",'@x,,done,"
    assert lines[2] == "Globex,,x,,,,skipped,website is empty in this row"
    assert lines[3] == "Acme,acme.io,again,\"{\"\"k\"\":1}\",'@x,,done,"
    assert lines[4] == "Initech,i.com,,,,,failed,Provider said no"


def test_row_status_words():
    assert result_cells(RowResult("interrupted", None, "lost"), ["a"], None) == (
        [""],
        "interrupted",
        "lost",
        "",
    )
    reused = RowResult("reused", {"a": {"value": 7}}, None, reused_from_at=1_763_000_000.0)
    assert result_cells(reused, ["a"], None) == (["7"], "reused", "", "2025-11-13")
    assert result_cells(RowResult("cancelled", None, None), ["a"], None)[1] == "cancelled"
