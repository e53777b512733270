"""Numbers as each language writes them: a decimal comma, thin-space thousands and a
spaced percent sign in Russian; the English forms unchanged."""

from __future__ import annotations

from ablation import i18n
from ablation.report import formatting as fmt

NBSP, THIN = "\u00a0", "\u202f"


def test_english_numbers_are_unchanged():
    assert fmt.pct(0.97345) == "97.34%"
    assert fmt.points(0.0123) == "+1.23 pp"
    assert fmt.interval(0.97, 0.99) == "[97.00, 99.00]%"
    assert fmt.seconds(300) == "5.0 min"


def test_russian_numbers_use_the_decimal_comma():
    with i18n.use("ru"):
        assert fmt.pct(0.97345) == f"97,34{NBSP}%"
        assert fmt.points(0.0123) == "+1,23 п. п."
        assert fmt.points_interval(-0.001, 0.0035) == "от -0,10 п. п. до +0,35 п. п."
        # bounds split by a semicolon, as the comma is taken
        assert fmt.interval(0.97, 0.99) == f"[97,00; 99,00]{NBSP}%"
        assert fmt.metric_interval(-0.01, 0.02, "final_test_accuracy") == "[-1,00; +2,00] п. п."
        assert fmt.seconds(300) == "5,0 мин"
        assert fmt.p_value(0.0234) == "0,023" and fmt.p_value(1e-5) == "< 0,001"
        assert i18n.number("-12,345.5") == f"-12{THIN}345,5"


def test_the_language_is_restored_after_its_block():
    with i18n.use("ru"):
        assert i18n.current() == "ru"
    assert i18n.current() == "en" and fmt.pct(0.5) == "50.00%"
