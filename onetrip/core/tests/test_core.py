import datetime as dt
import logging

import pytest

from onetrip.core.clock import FixedClock, get_clock, now, set_clock
from onetrip.core.errors import DomainError, ErrorDetail
from onetrip.core.masking import PersonalDataLogFilter, mask_id_number, mask_phone, mask_text
from onetrip.core.searchtext import search_text


def test_id_number_keeps_region_and_last_four_only():
    assert mask_id_number("33110219900101123X") == "331102********123X"
    assert mask_id_number("") == ""


def test_phone_keeps_prefix_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


def test_free_text_masking_hides_every_id_and_phone():
    text = "申请人 33110219900101123X 电话 13812345678，编号 2026001"
    masked = mask_text(text)
    assert "19900101" not in masked and "1234" not in masked.split("电话")[1][:8]
    assert "2026001" in masked


def test_log_filter_masks_personal_data(caplog):
    logger = logging.getLogger("onetrip.test")
    logger.addFilter(PersonalDataLogFilter())
    with caplog.at_level(logging.WARNING, logger="onetrip.test"):
        logger.warning("lookup failed for %s", "33110219900101123X")
    assert "19900101" not in caplog.text
    assert "331102********123X" in caplog.text


def test_domain_error_carries_code_both_languages_and_field():
    error = DomainError.single(
        "invalid_basic_code", "基本编码应为12位数字", "Basic code must be 12 digits", "basic_code"
    )
    body = error.as_dict()
    assert body == {
        "errors": [
            {
                "code": "invalid_basic_code",
                "message_zh": "基本编码应为12位数字",
                "message_en": "Basic code must be 12 digits",
                "field": "basic_code",
            }
        ]
    }


def test_domain_error_needs_a_detail():
    with pytest.raises(ValueError):
        DomainError()
    assert "第3行" in str(ErrorDetail("x", "错", "bad", row=3))


def test_fixed_clock_is_injectable_and_advances():
    start = dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.UTC)
    clock = FixedClock(start)
    previous = set_clock(clock)
    try:
        assert now() == start
        clock.advance(dt.timedelta(days=3))
        assert get_clock().now() == start + dt.timedelta(days=3)
    finally:
        set_clock(previous)
    with pytest.raises(ValueError):
        FixedClock(dt.datetime(2026, 1, 1))


def test_search_text_has_words_full_pinyin_and_initials():
    tokens = search_text("企业职工退休").split()
    for expected in ("企业职工退休", "退休", "tuixiu", "tx", "qiyezhigongtuixiu", "qyzgtx"):
        assert expected in tokens
