"""CSV exports, streamed row by row so a large program never sits in memory as one file."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from reporting.drilldowns import Listing
from reporting.tables import ReportTable

# Spreadsheets run cells starting with these as formulas; names and emails are user input.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """csv.writer wants a file; handing back each line lets the response stream it."""

    def write(self, value: str) -> str:
        return value


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def _lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(list(header))
    for row in rows:
        yield writer.writerow([_safe(value) for value in row])


def table_rows(table: ReportTable) -> Iterator[list]:
    for row in table.rows:
        yield [cell.value for cell in row]


def listing_rows(listing: Listing) -> Iterator[tuple]:
    source = listing.source
    objects = source.iterator(chunk_size=2000) if isinstance(source, QuerySet) else source
    for obj in objects:
        yield listing.to_row(obj).values


def csv_response(
    filename: str, header: Iterable, rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
