"""The shop's own order-number formats, configured by DESK_ORDER_NUMBER_FORMATS."""

from __future__ import annotations

import pytest

from desk.classifier.choice import build_classifier
from desk.config import ConfigError, Settings


def _settings(formats: str) -> Settings:
    return Settings.from_env({"DESK_ORDER_NUMBER_FORMATS": formats})


def test_configured_formats_are_found_beside_the_numeric_ones() -> None:
    read = build_classifier(_settings(r'["SO-\\d{5}", "W\\d{9}"]'))
    u = read("Where is so-10442? Also order 48221 and W123456789.", "Re: SO-10442")
    assert u.order_numbers[:2] == ["SO-10442", "W123456789"]
    assert "48221" in u.order_numbers


def test_a_group_picks_the_number_as_the_shop_knows_it() -> None:
    read = build_classifier(_settings(r'["ORD#(\\d{6})"]'))
    assert read("cancel ORD#600123 please", None, None).order_numbers[0] == "600123"


def test_without_formats_only_numeric_order_numbers_are_read() -> None:
    read = build_classifier(Settings.from_env({}))
    assert read("where is SO-10442?", None, None).order_numbers == []


@pytest.mark.parametrize(
    ("value", "named"),
    [("SO-\\d+", "JSON list"), ('["SO-(\\\\d+"]', "not a regular expression")],
)
def test_bad_formats_are_refused_at_start_with_the_setting_named(value: str, named: str) -> None:
    with pytest.raises(ConfigError) as err:
        _settings(value)
    assert "order_number_formats" in str(err.value).lower() or "ORDER_NUMBER_FORMATS" in str(
        err.value
    )
    assert named in str(err.value)
