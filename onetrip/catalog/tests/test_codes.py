from stdnum.cn import uscc

from onetrip.catalog.codes import (
    basic_code_errors,
    implementation_code,
    implementation_code_errors,
    uscc_errors,
)


def _valid_uscc(body17: str = "11331102002600001") -> str:
    return body17 + uscc.calc_check_digit(body17)


def test_basic_code_must_be_twelve_digits_with_a_known_type():
    assert basic_code_errors("010010010000") == []
    assert basic_code_errors("01001001000")[0].code == "invalid_basic_code"
    assert basic_code_errors("990010010000")[0].code == "invalid_basic_code"
    assert basic_code_errors("010010010000", item_type="20")[0].code == "basic_code_type_mismatch"


def test_uscc_checksum_is_verified():
    good = _valid_uscc()
    assert uscc_errors(good) == []
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert uscc_errors(bad)[0].code == "invalid_uscc"


def test_implementation_code_is_credit_code_level_and_basic_code():
    code = implementation_code(department_uscc=_valid_uscc(), level=4, basic_code="010010010000")
    assert len(code) == 31
    assert (
        implementation_code_errors(code, department_uscc=_valid_uscc(), level=4, basic_code="010010010000")
        == []
    )
    assert implementation_code_errors(code, level=3)[0].code == "implementation_code_mismatch"
    assert implementation_code_errors(code[:-1])[0].code == "invalid_implementation_code"
    assert implementation_code_errors("X" * 18 + code[18:])[0].code == "invalid_implementation_code"
