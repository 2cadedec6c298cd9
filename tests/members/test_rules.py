from datetime import date

import pytest

from members import rules


@pytest.mark.parametrize("names, must_hold", [
    (["丰泽区总工会"], {"丰", "丰泽", "泽区", "会"}),
    (["ABC Union"], {"a", "ab", "bc", "un"}),
])
def test_search_tokens_hold_characters_and_pairs(names, must_hold):
    tokens = set(rules.search_tokens(names))
    assert must_hold <= tokens
    assert all(token.strip() == token and token for token in tokens)


@pytest.mark.parametrize("query, tokens", [
    ("丰泽", ["丰泽"]), ("丰", ["丰"]), ("", []), ("  ", []), ("鲤中街", ["中街", "鲤中"]), ("AB", ["ab"]),
])
def test_query_tokens(query, tokens):
    assert rules.query_tokens(query) == tokens


@pytest.mark.parametrize("parent, child, allowed", [
    ("city", "district", True), ("district", "street", True), ("street", "enterprise", True),
    ("street", "district", False), ("enterprise", "joint", False), ("city", "enterprise", False),
    ("industry", "joint", True),
])
def test_child_kinds(parent, child, allowed):
    assert rules.may_be_child(parent, child) is allowed


@pytest.mark.parametrize("granted, own, allowed", [
    ("viewer", "admin", True), ("admin", "admin", True), ("admin", "reviewer", False), ("reviewer", "viewer", False),
    ("bogus", "admin", False),
])
def test_role_at_most(granted, own, allowed):
    assert rules.role_at_most(granted, own) is allowed


def _id(body17):
    return body17 + rules.id_number_check_character(body17)


@pytest.mark.parametrize("id_number, error", [
    ("3505031992030812", "length"),
    ("35050319920308123A", "format"),
    (_id("99050319920308123"), "province"),
    (_id("35050320300308123"), "birth_date"),
    (_id("35050319920230123"), "birth_date"),
    ("350503199203081230" if _id("35050319920308123")[-1] != "0" else "350503199203081231", "check_digit"),
])
def test_id_number_errors(id_number, error):
    with pytest.raises(rules.IdNumberError) as caught:
        rules.parse_id_number(id_number, date(2026, 11, 23))
    assert caught.value.code == error


def test_id_number_with_x_check_character_and_sex():
    body = next(f"35050319920308{serial:03d}" for serial in range(1000)
                if rules.id_number_check_character(f"35050319920308{serial:03d}") == "X")
    facts = rules.parse_id_number(body + "X", date(2026, 11, 23))
    assert facts.birth_date == date(1992, 3, 8)
    assert facts.sex == ("male" if int(body[16]) % 2 else "female")


def test_credit_code_check_character():
    body = "91350500000000001"
    code = body + rules.credit_code_check_character(body)
    assert rules.is_valid_credit_code(code)
    wrong = body + ("0" if code[-1] != "0" else "1")
    assert not rules.is_valid_credit_code(wrong)
    assert not rules.is_valid_credit_code(code[:-1])


def test_card_number_luhn():
    body = "35050000000001"
    card = body + rules.card_number_check_character(body)
    assert rules.is_valid_card_number(card)
    assert not rules.is_valid_card_number(card[:-1] + str((int(card[-1]) + 1) % 10))
    assert not rules.is_valid_card_number("²²")  # digit-like but not decimal: refused, not a crash
