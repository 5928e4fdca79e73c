"""The indicator engine on the KPI worked example (docs/kpi.md): the case elements counted by street and by
lead unit, and the seven case KPIs declared as indicators, answer exactly as ``case_kpis`` does; exemptions
leave a case out; the drill-down lists exactly the rows counted; counting costs a fixed number of queries."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
import time_machine

from gridgov.assessment.scoring import indicator_value
from gridgov.cases.kpis import PLAIN, RATES, case_kpis
from gridgov.cases.models import Case
from gridgov.cases.tests.test_kpis import NOW, STREET1, STREET2, TOTAL, U1, U2, U3, world  # noqa: F401
from gridgov.core import elements
from gridgov.core.elements import ACTIVITY_WORDS, Basis, Grouping
from gridgov.core.periods import Period

pytestmark = pytest.mark.django_db

MARCH = Period.custom(date(2026, 3, 1), date(2026, 3, 31))
COUNTS = [f"cases.{n}" for n in {*PLAIN, *(x for _r, a, b in RATES for x in (a, b))}]


def indicator(numerator: str, denominator: str) -> dict:
    return {"numerator": f"cases.{numerator}", "denominator": f"cases.{denominator}", "factor": "1"}


def block_of(counts: dict, key) -> dict:
    """The KPI block of one group, rebuilt from the elements through indicators."""
    values = {name: per_key.get(key, 0) for name, per_key in counts.items()}
    out: dict = {name: values[f"cases.{name}"] for name in PLAIN}
    for rate, numerator, denominator in RATES:
        num, den, value = indicator_value(indicator(numerator, denominator), values)
        out[rate] = {
            "numerator": int(num),
            "denominator": int(den),
            "rate": None if value is None else round(float(value), 4),
        }
    return out


def test_case_indicators_answer_as_the_kpis_by_street(world):  # noqa: F811
    counts = elements.count(COUNTS, Grouping.areas(["610302"], 9), MARCH, Basis(now=NOW))
    assert block_of(counts, "610302001") == STREET1
    assert block_of(counts, "610302002") == STREET2
    # The case located at the district itself (c11) has a shorter key: a group no street of a pool has.
    assert counts["cases.reported"]["610302"] == 1


def test_case_indicators_answer_as_the_kpis_for_the_whole_district(world):  # noqa: F811
    counts = elements.count(COUNTS, Grouping.areas(["610302"], 6), MARCH, Basis(now=NOW))
    assert block_of(counts, "610302") == TOTAL
    with time_machine.travel(NOW, tick=False):
        kpis = case_kpis(world.admin, area="610302", start=MARCH.start, end=MARCH.end)
    assert block_of(counts, "610302") == kpis["totals"]


def test_case_indicators_answer_as_the_kpis_by_lead_unit(world):  # noqa: F811
    units = world.units
    grouping = Grouping.of_units([units["u1"].pk, units["u2"].pk, units["u3"].pk])
    counts = elements.count(COUNTS, grouping, MARCH, Basis(now=NOW))
    assert block_of(counts, units["u1"].pk) == U1
    assert block_of(counts, units["u2"].pk) == U2
    assert block_of(counts, units["u3"].pk) == U3


def test_every_count_of_a_source_is_one_grouped_query(world, django_assert_num_queries):  # noqa: F811
    grouping = Grouping.areas(["610302"], 15)
    with django_assert_num_queries(2):  # the cases, and the whistle report-ins
        elements.count(
            [e.name for e in elements.elements() if e.name.startswith("cases.")],
            grouping,
            MARCH,
            Basis(now=NOW),
        )


def test_an_exempted_case_leaves_every_count_and_the_drill_down(world):  # noqa: F811
    c2 = Case.objects.get(ref=world.refs["c2"])
    grouping = Grouping.areas(["610302"], 9)
    before = elements.count(COUNTS, grouping, MARCH, Basis(now=NOW))
    after = elements.count(
        COUNTS, grouping, MARCH, Basis(now=NOW, excluded={"cases.Case": frozenset({c2.pk})})
    )
    street = "610302001"
    assert after["cases.reported"][street] == before["cases.reported"][street] - 1
    assert after["cases.due"][street] == before["cases.due"][street] - 1
    # c2 was claimed late and resolved late: the street's response and on-time closure improve.
    assert block_of(after, street)["response_rate"] == {"numerator": 6, "denominator": 7, "rate": 0.8571}
    assert block_of(after, street)["on_time_closure_rate"] == {"numerator": 3, "denominator": 5, "rate": 0.6}
    rows = elements.rows(
        "cases.due", grouping, street, MARCH, Basis(now=NOW, excluded={"cases.Case": frozenset({c2.pk})})
    )
    assert c2.ref not in {r.ref for r in rows}


def test_the_rows_behind_a_count_are_the_cases_counted(world):  # noqa: F811
    grouping = Grouping.areas(["610302"], 9)
    basis = Basis(now=NOW)
    refs = {name: world.refs[name] for name in world.refs}
    by_ref = {v: k for k, v in refs.items()}
    due = {by_ref[c.ref] for c in elements.rows("cases.due", grouping, "610302001", MARCH, basis)}
    on_time = {
        by_ref[c.ref] for c in elements.rows("cases.closed_on_time", grouping, "610302001", MARCH, basis)
    }
    # docs/kpi.md: street 1's due cases are c1 c2 c3 c5 c6 c7; closed on time c1 c3 c6.
    assert due == {"c1", "c2", "c3", "c5", "c6", "c7"}
    assert on_time == {"c1", "c3", "c6"}
    missed = list(elements.rows("cases.whistle_missed", grouping, "610302001", MARCH, basis))
    assert [(call.whistle.case.ref, call.unit.name) for call in missed] == [
        (refs["c6"], world.units["u3"].name)
    ]
    # A key that is not a group of the pool has no rows (not the rows of a shorter prefix).
    assert not elements.rows("cases.reported", grouping, "610302", MARCH, basis).exists()


def test_no_element_counts_activity():
    """National rules against 指尖上的形式主义: no element counts sign-ins, time online, check-ins, photos or
    distance walked, and the registry refuses one that would."""
    from django.core.exceptions import ImproperlyConfigured

    for element in elements.elements():
        assert not any(word in element.name.lower() for word in ACTIVITY_WORDS), element.name
        assert element.model not in ("accounts.LoginFailure", "core.Upload", "core.AuditEntry"), element.name
    bad = elements.Source(
        app="visits",
        elements=(elements.Element("visits.photos_taken", "x", "x", "core.Upload"),),
        count=lambda *a: {},
        rows=lambda *a: None,
    )
    with pytest.raises(ImproperlyConfigured):
        elements.register(bad)
    assert elements.element("visits.photos_taken") is None


def test_fractions_are_exact():
    num, den, value = indicator_value(
        {"numerator": "cases.a", "denominator": "cases.b", "factor": "100"}, {"cases.a": 1, "cases.b": 3}
    )
    assert (num, den, value) == (1, 3, Fraction(100, 3))
    assert (
        indicator_value({"numerator": "cases.a", "denominator": "cases.b", "factor": "100"}, {"cases.a": 0})[
            2
        ]
        is None
    )


@pytest.mark.django_db
def test_the_standard_indicators_read_registered_elements():
    from gridgov.assessment.catalogue import STANDARD, install
    from gridgov.assessment.formula import parse
    from gridgov.assessment.models import Indicator

    for _code, _name, numerator, denominator, *_rest in STANDARD:
        for formula in (numerator, denominator):
            if formula:
                parse(formula, known=lambda n: elements.element(n) is not None)
    install()  # idempotent: adds only what a flush by a transactional test may have removed
    assert install() == 0
    assert set(Indicator.objects.values_list("code", flat=True)) >= {row[0] for row in STANDARD}
