# ruff: noqa: E501 - payload literals read best on one line
"""Write the bad-input corpus into ``files/`` (run once; the files are committed, all small).

``.venv/bin/python tests/bad_inputs/make_corpus.py`` rewrites every file byte for byte.
"""

from __future__ import annotations

import hashlib
import io
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "ingest" / "sources"))

from _source_helpers import make_xlsx  # noqa: E402

FILES = HERE / "files"
STAMP = (1980, 1, 1, 0, 0, 0)  # fixed, so the archives come out the same every time
HEADER = "region,indicator,period,value\n"
CTS_HEADER = ["Iso3_code", "Country", "Region", "Subregion", "Indicator", "Dimension",
              "Category", "Sex", "Age", "Year", "Unit of measurement", "VALUE", "Source"]  # fmt: skip
CTS_ROW = ["NOR", "Norway", "Europe", "Northern Europe", "Victims of intentional homicide",
           "Total", "Total", "Total", "Total", 2020, "Rate per 100,000 population", 0.6,
           "CTS"]  # fmt: skip
HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>The upstream server is unavailable.</p></body></html>\n"
)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, STAMP), data, zipfile.ZIP_DEFLATED, 9)
    return buffer.getvalue()


def _members(workbook: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(workbook))
    return {name: archive.read(name) for name in archive.namelist()}


def _xlsx(rows: list[list[object]], sheet: str = "data_cts_intentional_homicide") -> bytes:
    """A workbook with fixed timestamps, so the file is the same on every run."""
    return _zip(_members(make_xlsx(rows, sheet=sheet)))


def _bomb_xlsx() -> bytes:
    """A workbook whose sheet XML inflates to 64 MB (padding whitespace) from ~70 KB."""
    members = _members(make_xlsx([CTS_HEADER, CTS_ROW]))
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet.replace(
        b"<sheetData>", b"<sheetData>" + b" " * 64_000_000
    )
    return _zip(members)


def _gdelt_export(columns: int) -> bytes:
    return ("\t".join(["1"] * columns) + "\n").encode() * 3


CSV = {
    "csv_empty.csv": b"",
    "csv_header_only.csv": HEADER.encode(),
    "csv_semicolon_delimiter.csv": b"region;indicator;period;value\nNOR;homicide_rate;2020;0.6\n",
    "csv_latin1_encoding.csv": (HEADER + "C\xf4te d'Ivoire,homicide_rate,2020,9.1\n").encode(
        "latin-1"
    ),
    "csv_utf16_encoding.csv": (HEADER + "NOR,homicide_rate,2020,0.6\n").encode("utf-16"),
    "csv_extra_cells.csv": (
        HEADER + "NOR,homicide_rate,2020,0.6\nSWE,homicide_rate,2020,1,2,3\n"
    ).encode(),
    "csv_missing_value_column.csv": b"region,indicator,period\nNOR,homicide_rate,2020\n",
    "csv_duplicated_header.csv": (HEADER + HEADER + "NOR,homicide_rate,2020,0.6\n").encode(),
    "csv_duplicated_column.csv": b"region,indicator,period,value,value\nNOR,homicide_rate,2020,0.6,9\n",
    "csv_giant_numbers.csv": (
        HEADER + "NOR,homicide_rate,2020,1e400\nSWE,homicide_rate,2020,-1e400\n"
        "DNK,homicide_rate,2020," + "9" * 400 + "\nFIN,homicide_rate,2020,1e30\n"
    ).encode(),
    "csv_nan_and_inf.csv": (
        HEADER + "NOR,homicide_rate,2020,nan\nSWE,homicide_rate,2020,inf\n"
        "DNK,homicide_rate,2020,-Infinity\n"
    ).encode(),
    "csv_negative_counts.csv": (
        HEADER + "NOR,homicide_rate,2020,-3\nSWE,homicide_rate,2020,-0.5\n"
    ).encode(),
    "csv_future_dates.csv": (
        HEADER + "NOR,homicide_rate,2999,0.6\nSWE,homicide_rate,2101,1.1\n"
    ).encode(),
    "csv_unknown_regions.csv": (
        HEADER + "Atlantis,homicide_rate,2020,3\nXXZ,homicide_rate,2020,4\n"
    ).encode(),
    "csv_non_numeric_values.csv": (
        HEADER + 'NOR,homicide_rate,2020,n/a\nSWE,homicide_rate,2020,"1,234"\n'
        "DNK,homicide_rate,2020,abc\nFIN,homicide_rate,20x0,1\n"
    ).encode(),
    "csv_html_error_page.csv": HTML_ERROR,
    "csv_binary_garbage.csv": bytes(range(256)) * 4,
}
OTHER = {
    "owid_renamed_value_column.csv": b"Entity,Code,Year,Murders\nNorway,NOR,2020,0.6\n",
    "owid_missing_code_column.csv": b"Entity,Year,Homicide rate per 100,000 population\nNorway,2020,0.6\n",
    "owid_bad_cells.csv": (
        b'Entity,Code,Year,"Homicide rate per 100,000 population"\n'
        b"Norway,NOR,20x0,0.6\nSweden,SWE,2020,lots\n"
    ),
    "wb_error_envelope.json": (
        b'[{"message":[{"id":"120","key":"Invalid value",'
        b'"value":"The provided parameter value is not valid"}]}]'
    ),
    "wb_truncated.json": b'[{"page":1,"pages":1,"per_page":50,"total":2},[{"indicator":{"id":"VC.IHR',
    "wb_wrong_shape.json": b'{"data": [{"country": "NOR", "value": 0.6}]}',
    "wb_html_error_page.json": HTML_ERROR,
    "wb_bad_zip.zip": b"PK\x03\x04",
    "sdg_truncated.json": b'{"size": 1, "totalElements": 5, "totalPages": 1, "data": [{"goal": ["16"',
    "sdg_wrong_shape.json": b"[1, 2, 3]",
    "sdg_error_message.json": b'{"statusCode": 500, "message": "Internal server error"}',
    "cts_empty.xlsx": b"",
    "cts_html_saved_as.xlsx": HTML_ERROR,
    "cts_renamed_header.xlsx": _xlsx([[*CTS_HEADER[:11], "Value (rate)", "Source"], CTS_ROW]),
    "cts_wrong_sheet.xlsx": _xlsx([["Notes"], ["This workbook has no data sheet."]], sheet="Notes"),
    "cts_not_a_zip.xlsx": b"PK\x03\x04" + b"\x00" * 200,
    "cts_zip_bomb.xlsx": _bomb_xlsx(),
    "seizures_comma_delimiter.csv": b"Region,Country,Drug,Year,Kilograms\nEurope,Norway,Cocaine,2016,10\n",
    "gdelt_wrong_column_count.zip": _zip({"20240101000000.export.CSV": _gdelt_export(10)}),
    "gdelt_bad_zip.zip": b"PK\x03\x04\x14\x00\x00\x00garbage that is not a zip archive",
    "gdelt_md5_mismatch.zip": _zip({"20240101000000.export.CSV": _gdelt_export(61)}),
    "dhl_no_table.html": b"<html><body><h1>Security Council meetings</h1><p>None.</p></body></html>",
    "dhl_garbage.html": b"<html>" + bytes(range(1, 256)) * 3,
    "rss_not_xml.xml": b"<?xml version='1.0'?> this is not a feed <<<",
    "rss_billion_laughs.xml": (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
            for i in range(1, 10)
        )
        + b']>\n<rss version="2.0"><channel><title>&lol9;</title></channel></rss>\n'
    ),
    "rss_external_entity.xml": (
        b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<rss version="2.0"><channel><title>&x;</title></channel></rss>\n'
    ),
}


def main() -> None:
    """Write every corpus file, and the md5 the 'published' list gives for the mismatch case."""
    FILES.mkdir(exist_ok=True)
    for name, data in {**CSV, **OTHER}.items():
        (FILES / name).write_bytes(data)
    wrong = hashlib.md5(b"another payload", usedforsecurity=False).hexdigest()
    (FILES / "gdelt_md5_mismatch.zip.md5").write_text(wrong + "\n")


if __name__ == "__main__":
    main()
