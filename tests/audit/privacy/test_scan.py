"""The identifier scan on realistic identifiers written for these tests, and on columns that merely look similar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.privacy import identifier_scan

N = 400
RNG = np.random.default_rng(11)


def _pick(values, n=N):
    return RNG.choice(values, size=n)


GIVEN = ["miguel", "James", "Maria", "Wei", "Fatima", "John", "Aisha", "Pierre", "Olga", "Kwame", "Priya", "Hiroshi"]
FAMILY = ["hernandez", "Smith", "Nguyen", "Garcia", "Khan", "Muller", "Kowalski", "Okafor", "Rossi", "Tanaka", "Patel"]

IDENTIFYING = {
    # column: (values, expected kind)
    "name": ([f"{a} {b}" for a, b in zip(_pick(GIVEN), _pick(FAMILY), strict=True)], "name"),
    "first": (list(_pick(GIVEN)), "name"),
    "last": (list(_pick(FAMILY)), "name"),
    "customer_name": ([f"{b}, {a}" for a, b in zip(_pick(GIVEN), _pick(FAMILY), strict=True)], "name"),
    "c_case_number": ([f"{13000000 + i}CF10A" for i in range(N)], "record_number"),
    "docket": ([f"CR-2019-{i:05d}" for i in range(N)], "record_number"),
    "dob": (list(pd.date_range("1950-01-01", periods=N, freq="20D").strftime("%Y-%m-%d")), "date_of_birth"),
    "birth_date": (list(pd.date_range("1960-03-01", periods=N, freq="9D").strftime("%d/%m/%Y")), "date_of_birth"),
    "c_jail_in": (list(pd.date_range("2013-01-01", periods=N, freq="37h").strftime("%Y-%m-%d %H:%M:%S")), "date"),
    "screening_date": (list(pd.date_range("2013-01-01", periods=N, freq="D").strftime("%Y-%m-%d")), "date"),
    "mobile": ([f"+44 7700 9{i:05d}" for i in range(N)], "phone"),
    "contact": ([f"user{i}@example.org" for i in range(N)], "email"),
    "iban": (["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"] * (N // 2), "iban"),
    "payment": (["4111 1111 1111 1111", "5500-0000-0000-0004"] * (N // 2), "payment"),
    "client_ip": ([f"192.168.{i // 256}.{i % 256}" for i in range(N)], "ip_address"),
    "home": ([f"{i} Baker Street, London" for i in range(N)], "address"),
    "ssn": ([f"{100 + i % 800:03d}-{i % 90 + 10:02d}-{i:04d}" for i in range(N)], "government_id"),
    "notes": ([f"Called on Monday, spoke with the tenant about the broken boiler, reference {i}" for i in range(N)], "free_text"),
    "row_key": ([f"{i:08x}-aaaa-4bbb-8ccc-{i:012x}" for i in range(N)], "identifier"),
    "patient_id": (list(range(5000, 5000 + N)), "record_number"),
}

LOOKALIKES = {
    "telephone": list(_pick(["yes", "no"])),  # the German credit data's yes/no telephone column
    "own_telephone": list(_pick(["A191", "A192"])),
    "zip": list(_pick(["10001", "94105", "60601"])),
    "city": list(_pick(["New York", "Paris", "Berlin", "Lagos", "São Paulo"])),
    "score_text": list(_pick(["Low", "Medium", "High"])),
    "sex": list(_pick(["Male", "Female"])),
    "age": list(RNG.integers(18, 80, size=N)),
    "priors_count": list(RNG.integers(0, 10, size=N)),
    "hours_per_week": list(RNG.normal(40, 6, size=N).round(1)),
    "amount": [f"{x:.2f}" for x in RNG.gamma(2, 500, size=N)],
    "purpose": list(_pick(["car (new)", "furniture/equipment", "radio/television", "education", "business"])),
    "email_opt_in": list(_pick(["yes", "no"])),
    "name_length_bucket": list(_pick(["short", "long"])),
    "valid": [True] * N,
}


@pytest.fixture(scope="module")
def scan():
    frame = pd.DataFrame({**{k: v for k, (v, _) in IDENTIFYING.items()}, **LOOKALIKES})
    return {f["column"]: f for f in identifier_scan(frame)}


@pytest.mark.parametrize("column", sorted(IDENTIFYING))
def test_identifying_column_is_caught_with_its_kind(scan, column):
    assert column in scan, f"{column} missed"
    assert scan[column]["kind"] == IDENTIFYING[column][1], scan[column]["reason"]
    assert scan[column]["reason"] and scan[column]["recommendation"]


@pytest.mark.parametrize("column", sorted(LOOKALIKES))
def test_column_that_merely_looks_similar_is_not_flagged(scan, column):
    assert column not in scan, scan.get(column)


def test_dates_are_dates_not_phone_numbers():
    frame = pd.DataFrame({"event": pd.date_range("2013-08-14", periods=50, freq="D").strftime("%Y-%m-%d")})
    assert [f["kind"] for f in identifier_scan(frame)] == ["date"]


def test_each_finding_says_what_the_audit_did_with_the_column():
    frame = pd.DataFrame({"email": [f"p{i}@x.org" for i in range(30)], "first": list(_pick(GIVEN, 30)),
                          "c_jail_in": pd.date_range("2014-01-01", periods=30, freq="h").strftime("%Y-%m-%d %H:%M"),
                          "age": range(30, 60)})
    found = identifier_scan(frame, status={"email": "dropped", "first": "feature", "c_jail_in": "excluded", "age": "feature"})
    by_col = {f["column"]: f for f in found}
    assert by_col["email"]["status"] == "dropped" and "Dropped before training" in by_col["email"]["recommendation"]
    assert by_col["first"]["status"] == "feature" and "Used as a feature" in by_col["first"]["recommendation"]
    assert by_col["c_jail_in"]["status"] == "excluded"


def test_bundled_adult_has_no_identifiers():
    from audit.data.datasets import load_adult

    train, _ = load_adult()
    assert identifier_scan(train) == []
