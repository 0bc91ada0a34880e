"""Old → new on meaning: numbers as numbers, lists as sets, objects key by key, and no
whitespace or case noise; any real change is reported."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.watches.diff import canonical, changes, same
from bot.watches.digest import describe

words = st.text(alphabet="abcdefgh XYZ", min_size=1, max_size=8).filter(lambda t: t.strip())
numbers = st.integers(min_value=-10**7, max_value=10**7)
scalars = st.one_of(words, numbers)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from("abcd"), inner, max_size=3)
    ),
    max_leaves=8,
)


def noisy(value, rng: random.Random):
    """The same meaning written differently: case, spaces, thousands, order, repeats."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return rng.choice([value, float(value), f"{value:,}", f"  {value} "])
    if isinstance(value, str):
        text = value.upper() if rng.random() < 0.5 else value.lower()
        return "  " + text.replace(" ", "   ") + "\n"
    if isinstance(value, list):
        items = [noisy(v, rng) for v in value]
        if items and rng.random() < 0.5:
            items.append(items[0])
        rng.shuffle(items)
        return items
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: noisy(value[k], rng) for k in keys}
    return value


@settings(max_examples=300, deadline=None)
@given(values, st.integers())
def test_equal_values_never_differ(value, seed):
    assert changes("x", "X", value, noisy(value, random.Random(seed))) == []


@settings(max_examples=300, deadline=None)
@given(values, values)
def test_any_real_change_is_reported(old, new):
    found = changes("x", "X", old, new)
    assert bool(found) == (canonical(old) != canonical(new))


def test_numbers_are_numbers():
    assert same("1,200", 1200) and same("1200.0", 1200) and same(" 1,200 ", "1200")
    assert not same("1,200", "1,201")
    assert same(0.30000000000000004, "0.30000000000000004")
    assert not same(0.1 + 0.2, 0.3)  # exact: what was stored is what is compared


def test_text_ignores_case_and_whitespace_but_not_words():
    assert same("Acme  Robotics\n", "acme robotics")
    assert not same("Acme Robotics", "Acme Robotic")


def test_lists_are_sets_and_say_what_came_and_went():
    (change,) = changes("tech_stack", "Tech stack", ["AWS", "Heroku"], ["aws", "Snowflake"])
    assert describe(change) == "Tech stack +Snowflake −Heroku"
    assert changes("t", "T", ["a", "b", "a"], ["b", "a"]) == []


def test_objects_are_compared_key_by_key():
    old = {"city": "Berlin", "country": "DE"}
    new = {"country": "de", "city": "Munich"}
    (change,) = changes("headquarters", "Headquarters", old, new)
    assert describe(change) == "Headquarters › city Berlin → Munich"


def test_empty_is_one_value_and_its_change_is_shown():
    assert same(None, "") and same([], None) and same({}, "  ")
    (change,) = changes("employee_count", "Employee count", None, 180)
    assert describe(change) == "Employee count — → 180"
