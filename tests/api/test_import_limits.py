"""Imports cannot freeze or exhaust the API: the body is capped while it arrives (413), the file
is parsed in a worker thread and only up to the row cap (422), an XLSX zip bomb is refused
before it is unzipped, the sheet's own size claim is ignored, and a header without data rows
is refused. Over real HTTP, with limits shrunk in the ratio of the defaults so the test is quick."""

from __future__ import annotations

import io
import json
import random
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from openpyxl import Workbook

from api.app import create_app
from api.routes.units import UNIT_COLUMNS
from api.tabular import read_rows
from infra.bootstrap import Services, bootstrap
from infra.settings import Settings
from tests.builders.backends import BACKENDS
from tests.builders.http import ADMIN_TOKEN, serving
from tests.builders.http_world import register_units
from tests.builders.tree import UNIT_TREE

pytestmark = pytest.mark.slow  # a real server fed streamed uploads while a process probes it

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROBLEM = "application/problem+json"
ROWS = 2_000  # the row cap in these tests: a fifth of the default 10,000
BYTES = (
    (8 << 20) * ROWS // 10_000
)  # the byte cap in the defaults' ratio (8 MiB per 10,000 rows): 1,677,721
HEADER = ["编号 / id", "name", "name_zh", "level", "parent_id", "备注 / note"]
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@contextmanager
def limited(
    database_url: str, app: Any = None, rows: int = ROWS, size: int = BYTES
) -> Iterator[tuple[httpx.Client, Services]]:
    """The API over ``database_url`` with the caps at ``rows`` rows and ``size`` bytes, served on a
    real port, and the township every village hangs under."""
    services = bootstrap(
        Settings(
            database_url=database_url,
            admin_token=ADMIN_TOKEN,
            max_import_rows=rows,
            max_import_bytes=size,
        ),
        configure_logs=False,
    )
    try:
        api = app(services) if app else create_app(services)
        with (
            serving(api) as base,
            httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=300
            ) as admin,
        ):
            register_units(admin, UNIT_TREE[:3])  # 示范市 > 宜君县 > 彭镇
            yield admin, services
    finally:
        services.close()


def position(services: Services) -> int:
    return services.app.recorder.max_notification_id() or 0


def village(i: int, note: str = "") -> list[Any]:
    return [f"vil-{i:05d}", f"Village {i}", f"村{i}", "village", "peng-zhen", note]


def xlsx(rows: int, target: int = 0, seed: int = 7) -> bytes:
    """``rows`` villages, as openpyxl's streaming writer saves them (no <dimension> element);
    with ``target``, each row padded with random text so that the file is just under ``target``
    bytes (random CJK text hardly compresses, like real materials)."""
    rnd = random.Random(seed)
    pool = "".join(
        chr(rnd.randrange(0x4E00, 0x9FA5)) for _ in range(1 << 18)
    )  # far wider than deflate's 32 KiB window

    def build(pad: int) -> bytes:
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(HEADER)
        for i in range(rows):
            start = rnd.randrange(len(pool) - pad) if pad else 0
            sheet.append(village(i, pool[start : start + pad]))
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    if not target:
        return build(0)
    pad = target // rows // 3
    for _ in range(6):  # converge on 97-100 % of the target
        body = build(pad)
        if 0.97 * target <= len(body) <= target:
            return body
        pad = int(pad * target * 0.985 / len(body))
    raise AssertionError(f"no padding gives {target} bytes")


def sized_xlsx(rows: int) -> bytes:
    """``rows`` villages as openpyxl's ordinary writer saves them, with <dimension ref="A1:F…">."""
    book = Workbook()
    book.active.append(HEADER)
    for i in range(rows):
        book.active.append(village(i))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewritten(body: bytes, changes: dict[str, Any]) -> bytes:
    """``body`` with zip members passed through ``changes[name]`` (old bytes or None -> new)."""
    source, out = zipfile.ZipFile(io.BytesIO(body)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        names = [info.filename for info in source.infolist()]
        for name in [*names, *(n for n in changes if n not in names)]:
            data = source.read(name) if name in names else None
            target.writestr(name, changes[name](data) if name in changes else data)
    return out.getvalue()


def csv_of(rows: int) -> bytes:
    return (
        "id,name,name_zh,level,parent_id\n"
        + "".join(f"vil-{i:05d},Village {i},村{i},village,peng-zhen\n" for i in range(rows))
    ).encode()


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == f"urn:laurel:problem:{code}", body
    return body


# --- the event loop stays free -------------------------------------------------------------

# /healthz probed from another process (as a liveness probe is): what is measured is the
# server's answer, not this process's own client waiting for the GIL.
PROBER = """
import json, sys, threading, time
import httpx
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
latencies = []
with httpx.Client(base_url=sys.argv[1]) as client:
    client.get("/healthz")
    print("ready", flush=True)
    while not stop.is_set():
        started = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.005)
print(json.dumps(latencies), flush=True)
"""


def probed(base_url: str, action: Any) -> tuple[Any, list[float]]:
    """``action()``'s result and the /healthz latencies (ms, sorted) measured while it ran."""
    prober = subprocess.Popen(
        [sys.executable, "-c", PROBER, base_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert prober.stdout is not None and prober.stdout.readline().strip() == "ready"
        result = action()
        out, _ = prober.communicate("", timeout=30)
    finally:
        prober.kill()
    return result, sorted(json.loads(out))


def figures(what: str, seconds: float, probes: list[float]) -> str:
    p95 = probes[int(len(probes) * 0.95)]
    return (
        f"{what} in {seconds:.1f} s; /healthz over {len(probes)} probes: max {probes[-1]:.0f} ms, "
        f"p95 {p95:.0f} ms, median {statistics.median(probes):.1f} ms"
    )


def upload(admin: httpx.Client, body: bytes) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = admin.post("/v1/units:import", content=body, headers={"Content-Type": XLSX})
    return response, time.perf_counter() - started


def assert_responsive(probes: list[float], seen: str) -> None:
    # p95 under 100 ms, and no single stall of the kind a parse on the event loop makes: one
    # probe waits the whole parse (1.5-3 s for 8 MiB), which no percentile of the others shows.
    # The max is held to 500 ms, not 100: on a shared 2-core machine another process's load
    # alone delays a probe that long now and then (seen: up to 260 ms at load average 5.7).
    assert len(probes) >= 50 and probes[int(len(probes) * 0.95)] < 100 and probes[-1] < 500, seen


@SQLITE
def test_healthz_answers_quickly_while_an_import_at_both_caps_runs(database_url: str) -> None:
    """An import at the row cap and just under the byte cap, parsed and applied row by row."""
    body = xlsx(ROWS, BYTES)
    with limited(database_url) as (admin, _services):
        (response, seconds), probes = probed(str(admin.base_url), lambda: upload(admin, body))
        seen = figures(f"{len(body)} bytes, {ROWS} rows imported", seconds, probes)
        print(seen)
        report = response.json()
        assert response.status_code == 200 and (report["created"], report["failed"]) == (ROWS, 0), str(
            report
        )[:500]
        assert_responsive(probes, seen)


@SQLITE
def test_healthz_answers_quickly_while_the_largest_import_is_parsed(database_url: str) -> None:
    """The defaults (8 MiB, 10,000 rows) and the most parsing one request can cause: a file
    just under 8 MiB whose 10,001st row is the first past the cap."""
    size, rows = (
        Settings.model_fields["max_import_bytes"].default,
        Settings.model_fields["max_import_rows"].default,
    )
    body = xlsx(rows + 1, size)
    with limited(database_url, rows=rows, size=size) as (admin, services):
        before = position(services)
        (response, seconds), probes = probed(str(admin.base_url), lambda: upload(admin, body))
        seen = figures(f"{len(body)} bytes, {rows + 1} rows refused", seconds, probes)
        print(seen)
        problem = refused(response, 422, "import-invalid")
        assert [(f["rule"], f["expected"]) for f in problem["failures"]] == [("table_max_rows", rows)], (
            problem
        )
        assert position(services) == before
        assert_responsive(probes, seen)


# --- the byte cap ----------------------------------------------------------------------------


@BACKENDS
def test_a_body_over_the_byte_cap_is_413_and_appends_nothing(database_url: str) -> None:
    with limited(database_url) as (admin, services):
        before = position(services)
        declared = refused(
            admin.post(
                "/v1/units:import", content=b"x" * (BYTES + 1), headers={"Content-Type": "text/csv"}
            ),
            413,
            "payload-too-large",
        )
        assert str(BYTES) in declared["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: only counting the bytes finds out
            yield csv_of(1)
            for _ in range(BYTES // 65_536 + 2):
                yield b"#" * 65_536 + b"\n"

        streamed = refused(
            admin.post("/v1/units:import", content=chunks(), headers={"Content-Type": "text/csv"}),
            413,
            "payload-too-large",
        )
        assert str(BYTES) in streamed["detail"]
        assert position(services) == before
        assert (
            admin.post(
                "/v1/units:import", content=csv_of(1), headers={"Content-Type": "text/csv"}
            ).json()["created"]
            == 1
        )


# --- the row cap, the zip bomb, the sheet's claims, the empty table -----------------------------


@BACKENDS
def test_more_rows_than_the_cap_is_422_naming_the_cap_and_appends_nothing(database_url: str) -> None:
    with limited(database_url) as (admin, services):
        before = position(services)
        for body, content_type in [(csv_of(ROWS + 1), "text/csv"), (xlsx(ROWS + 1), XLSX)]:
            problem = refused(
                admin.post("/v1/units:import", content=body, headers={"Content-Type": content_type}),
                422,
                "import-invalid",
            )
            assert [(f["rule"], f["field"], f["expected"]) for f in problem["failures"]] == [
                ("table_max_rows", "body", ROWS)
            ], problem
            assert (
                str(ROWS) in problem["failures"][0]["message_en"]
                and problem["failures"][0]["message_zh"]
            )
        assert position(services) == before


@SQLITE
def test_reading_stops_at_the_first_row_past_the_cap(database_url: str) -> None:
    """Rows past the cap are never parsed: here they end in broken XML, which a reader that went
    on would report as an unreadable file (table_readable) instead of the cap."""
    cut = f'<row r="{ROWS + 2 + 3000}">'.encode()

    def broken_after_the_cap(sheet: bytes) -> bytes:
        return sheet[: sheet.index(cut)] + b"<row <<< not XML"

    body = rewritten(xlsx(ROWS + 4000), {"xl/worksheets/sheet1.xml": broken_after_the_cap})
    with limited(database_url) as (admin, services):
        before = position(services)
        problem = refused(
            admin.post("/v1/units:import", content=body, headers={"Content-Type": XLSX}),
            422,
            "import-invalid",
        )
        assert [f["rule"] for f in problem["failures"]] == ["table_max_rows"], problem
        assert position(services) == before


SST = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def shared_strings_bomb(unzipped: int) -> bytes:
    """A valid one-row workbook with a shared-strings table holding one string of ``unzipped``
    bytes: a few hundred kilobytes zipped, which openpyxl reads whole into memory on opening."""
    table = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'count="1" uniqueCount="1"><si><t>' + b"A" * unzipped + b"</t></si></sst>"
    )
    override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST}"/></Types>'.encode()
    return rewritten(
        xlsx(1),
        {
            "xl/sharedStrings.xml": lambda _: table,
            "[Content_Types].xml": lambda types: types.replace(b"</Types>", override),
        },
    )


@SQLITE
def test_a_zip_bomb_is_refused_before_it_is_unzipped(database_url: str) -> None:
    body = shared_strings_bomb(64 << 20)
    assert len(body) < BYTES // 4
    with limited(database_url) as (admin, services):
        before = position(services)
        problem = refused(
            admin.post("/v1/units:import", content=body, headers={"Content-Type": XLSX}),
            422,
            "import-invalid",
        )
        assert [(f["rule"], f["field"], f["expected"]) for f in problem["failures"]] == [
            ("xlsx_unzipped_max_bytes", "body", BYTES * 16)
        ], problem
        assert problem["failures"][0]["actual"] > 64 << 20
        assert position(services) == before


def test_refusing_a_zip_bomb_holds_no_more_than_a_few_megabytes() -> None:
    body = shared_strings_bomb(64 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as refusal:  # noqa: PT011 (its rule is asserted below)
            read_rows(body, XLSX, UNIT_COLUMNS, max_rows=ROWS, max_unzipped=16 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert getattr(refusal.value, "rule", None) == "xlsx_unzipped_max_bytes"
    assert peak < 4 << 20, peak


def claiming(dimension: str, rows: int) -> bytes:
    def claim(sheet: bytes) -> bytes:
        claimed, found = re.subn(
            rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>'.encode(), sheet
        )
        assert found == 1
        return claimed

    return rewritten(sized_xlsx(rows), {"xl/worksheets/sheet1.xml": claim})


@SQLITE
def test_the_sheets_own_size_claim_is_ignored(database_url: str) -> None:
    """A sheet claiming 'A1:XFD100' was read 16,384 cells wide and cut at row 100."""
    with limited(database_url) as (admin, _services):
        report = admin.post(
            "/v1/units:import", content=claiming("A1:XFD100", 200), headers={"Content-Type": XLSX}
        ).json()
        assert (report["created"], report["failed"]) == (200, 0), str(report)[:300]


def test_a_claimed_sheet_width_costs_no_memory() -> None:
    body = claiming("A1:XFD1001", 1000)
    tracemalloc.start()
    try:
        rows = read_rows(body, XLSX, UNIT_COLUMNS, max_rows=ROWS, max_unzipped=16 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(rows) == 1000 and rows[-1]["id"] == "vil-00999"
    assert peak < 16 << 20, peak  # 1,000 rows of 16,384 cells were 130 MB


@BACKENDS
def test_a_header_without_data_rows_is_422_naming_the_body(database_url: str) -> None:
    with limited(database_url) as (admin, services):
        before = position(services)
        for body, content_type in [
            (b"id,name,name_zh,level,parent_id\n\n,,,,\n", "text/csv"),
            (xlsx(0), XLSX),
        ]:
            problem = refused(
                admin.post("/v1/units:import", content=body, headers={"Content-Type": content_type}),
                422,
                "import-invalid",
            )
            assert [(f["rule"], f["field"]) for f in problem["failures"]] == [
                ("table_has_rows", "body")
            ], problem
        unknown = refused(
            admin.post(
                "/v1/units:import", content=b"colour,size\nred,3\n", headers={"Content-Type": "text/csv"}
            ),
            422,
            "import-invalid",
        )
        assert [(f["rule"], f["field"]) for f in unknown["failures"]] == [("table_header", "body")], (
            unknown
        )
        assert position(services) == before


# --- a bad cell is its row's error ------------------------------------------------------------


@SQLITE
def test_a_cell_the_row_cannot_convert_is_that_rows_error_not_a_500(database_url: str) -> None:
    """'four' hours (float() refuses it) used to be a 500 after the rows before it were written."""
    with limited(database_url) as (admin, _services):
        declarer = httpx.Client(
            base_url=admin.base_url,
            headers={
                "Authorization": "Bearer "
                + admin.post("/v1/tokens", json={"role": "declarer", "unit_id": "peng-zhen"}).json()[
                    "token"
                ]
            },
        )
        with declarer:
            assert (
                declarer.post(
                    "/v1/units/peng-zhen/members", json={"id": "m1", "name": "党员"}
                ).status_code
                == 201
            )
            sheet = (
                "session_id,date,kind,hours,topic,expected,attendees,notice,sign_in,playback_log,discussion_record,feedback\n"
                "s1,2022-01-10,all_member,4,party_building,all,m1,是,是,是,是,是\n"
                "s2,2022-02-10,all_member,four,party_building,all,m1,是,是,是,是,是\n"
                "s3,2022-03-10,all_member,4,party_building,all,m1,是,是,是,是,是\n"
            )
            response = declarer.post(
                "/v1/units/peng-zhen/activity-days:import",
                content=sheet.encode(),
                headers={"Content-Type": "text/csv"},
            )
        report = response.json()
        assert response.status_code == 200 and [r["status"] for r in report["rows"]] == [
            "created",
            "error",
            "created",
        ], response.text
        assert [(e["rule"], e["status"]) for e in report["rows"][1]["errors"]] == [
            ("row_readable", 422)
        ] and "four" in report["rows"][1]["errors"][0]["message_en"]
