from datetime import date

import pytest

from printstation.errors import InvalidNIK
from printstation.intake.nik import check_nik, make_nik, parse_nik
from printstation.intake.regions import load_regions

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def regions():
    return load_regions()


def test_parse_good_woman():
    parts = parse_nik("5371015708900002", today=TODAY)
    assert (parts.province, parts.regency, parts.district) == ("53", "71", "01")
    assert parts.regency_code == "5371" and parts.district_code == "537101"
    assert parts.birth_date == date(1990, 8, 17)
    assert parts.sex == "P"
    assert parts.serial == "0002"


def test_parse_good_man():
    parts = parse_nik("5371031708900001", today=TODAY)
    assert parts.sex == "L" and parts.birth_date == date(1990, 8, 17)


def test_century_chosen_so_birth_is_not_in_the_future():
    assert parse_nik("5371010101090001", today=TODAY).birth_date == date(2009, 1, 1)
    assert parse_nik("5371010101300001", today=TODAY).birth_date == date(1930, 1, 1)
    # 24-11-26 is today: born today is not the future; 25-11-26 is, so 1926
    assert parse_nik("5371012411260001", today=TODAY).birth_date == date(2026, 11, 24)
    assert parse_nik("5371012511260001", today=TODAY).birth_date == date(1926, 11, 25)


def test_leap_day_picks_a_century_where_it_exists():
    assert parse_nik("5371012902000001", today=TODAY).birth_date == date(2000, 2, 29)


@pytest.mark.parametrize(
    ("nik", "reason"),
    [
        ("537101570890000", "16 digits, got 15"),
        ("53710157089000021", "16 digits, got 17"),
        ("5371O15708900002", "digits only"),
        (" 371015708900002", "digits only"),
        ("0071015708900002", "province code 00"),
        ("5300015708900002", "regency code 00"),
        ("5371005708900002", "district code 00"),
        ("5371010008900002", "day field 00"),
        ("5371013508900002", "day field 35"),
        ("5371014008900002", "day field 40"),
        ("5371017208900002", "day field 72"),
        ("5371011700900002", "month 00"),
        ("5371011713900002", "month 13"),
        ("5371013102900002", "not a real date"),
        ("5371016902010002", "not a real date"),
        ("5371015708900000", "serial 0000"),
    ],
)
def test_parse_rejects_with_reason(nik, reason):
    with pytest.raises(InvalidNIK) as info:
        parse_nik(nik, today=TODAY)
    assert reason in str(info.value)


def test_parse_rejects_non_text():
    with pytest.raises(InvalidNIK, match="must be text"):
        parse_nik(5371015708900002)  # type: ignore[arg-type]


def test_check_good(regions):
    parts = check_nik("5371015708900002", date(1990, 8, 17), "P", regions)
    assert parts.serial == "0002"
    check_nik("5301011708900001", date(1990, 8, 17), "L", regions)  # Kabupaten Kupang
    check_nik("3171011708900001", date(1990, 8, 17), "L", regions)  # moved from Jakarta


def test_check_century_old_holder(regions):
    check_nik("5371010101200001", date(1920, 1, 1), "L", regions)


def test_check_sex_disagrees(regions):
    with pytest.raises(InvalidNIK, match="NIK says a woman"):
        check_nik("5371015708900002", date(1990, 8, 17), "L", regions)
    with pytest.raises(InvalidNIK, match="NIK says a man"):
        check_nik("5371011708900002", date(1990, 8, 17), "P", regions)


def test_check_birth_date_disagrees(regions):
    for born in (date(1990, 8, 18), date(1990, 9, 17), date(1991, 8, 17)):
        with pytest.raises(InvalidNIK, match="disagrees with the record's birth date"):
            check_nik("5371015708900002", born, "P", regions)


def test_check_unknown_regions(regions):
    with pytest.raises(InvalidNIK, match="province 99"):
        check_nik("9971015708900002", date(1990, 8, 17), "P", regions)
    with pytest.raises(InvalidNIK, match="regency 5399"):
        check_nik("5399015708900002", date(1990, 8, 17), "P", regions)
    with pytest.raises(InvalidNIK, match="district 537107"):
        check_nik("5371075708900002", date(1990, 8, 17), "P", regions)


def test_check_bad_sex_value(regions):
    with pytest.raises(InvalidNIK, match="sex must be L or P"):
        check_nik("5371015708900002", date(1990, 8, 17), "X", regions)  # type: ignore[arg-type]


def test_make_round_trip():
    nik = make_nik("53", "71", "01", date(1990, 8, 17), "P", 2)
    assert nik == "5371015708900002"
    parts = parse_nik(make_nik("53", "71", "06", date(1961, 12, 31), "L", 9999), today=TODAY)
    assert parts.birth_date == date(1961, 12, 31) and parts.serial == "9999"


@pytest.mark.parametrize(
    "args",
    [
        ("5", "71", "01", date(1990, 1, 1), "L", 1),
        ("53", "5371", "01", date(1990, 1, 1), "L", 1),
        ("53", "71", "00", date(1990, 1, 1), "L", 1),
        ("53", "71", "01", date(1990, 1, 1), "X", 1),
        ("53", "71", "01", date(1990, 1, 1), "L", 0),
        ("53", "71", "01", date(1990, 1, 1), "L", 10000),
    ],
)
def test_make_rejects(args):
    with pytest.raises(ValueError):
        make_nik(*args)


def test_region_table(regions):
    assert regions.province("53").name == "NUSA TENGGARA TIMUR"
    assert regions.regency("5371").name == "KOTA KUPANG"
    assert regions.regency("5304").name == "BELU"
    oebobo = regions.district_by_name("5371", "oebobo")
    assert oebobo.code == "537103" and "LILIBA" in oebobo.villages
    assert [d.name for d in regions.districts_of("5371")] == [
        "ALAK",
        "MAULAFA",
        "OEBOBO",
        "KOTA RAJA",
        "KELAPA LIMA",
        "KOTA LAMA",
    ]
    assert regions.regency_by_name("Kota Kupang").code == "5371"
