"""Result reuse: normalisation, output coverage, the window and the index."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from bot.runs.reuse import DAY, ResultIndex, covers, input_key, normalise_value
from bot.store.database import Store
from tests.factories import make_run

NOW = 1_800_000_000.0

label = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10)
domains = st.builds(lambda a, b: f"{a}.{b}", label, st.sampled_from(["io", "com", "co.uk", "ai"]))
paths = st.lists(
    st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=8), max_size=3
).map(lambda parts: "".join("/" + p for p in parts))
emails = st.builds(lambda user, dom: f"{user}@{dom}", label, domains)


def random_case(text: str, flips: list[bool]) -> str:
    return "".join(
        c.upper() if flip else c for c, flip in zip(text, flips + [False] * len(text), strict=False)
    )


space = st.text(" \t\n", max_size=3)


@given(emails, st.lists(st.booleans(), max_size=40), space, space)
def test_equivalent_emails_match(email, flips, before, after):
    assert input_key("g", {"email": before + random_case(email, flips) + after}) == input_key(
        "g", {"email": email}
    )


@given(
    domains,
    paths,
    st.sampled_from(["", "http://", "https://", "HTTPS://"]),
    st.booleans(),
    st.booleans(),
    st.lists(st.booleans(), max_size=40),
    space,
)
def test_equivalent_urls_and_domains_match(domain, path, scheme, www, slash, flips, pad):
    host = random_case(("www." if www else "") + domain, flips)
    variant = pad + scheme + host + path + ("/" if slash else "") + pad
    assert input_key("g", {"website": variant}) == input_key("g", {"website": domain + path})


@given(
    st.dictionaries(label, st.text(min_size=1, max_size=30), min_size=1, max_size=4),
    st.dictionaries(label, st.text(min_size=1, max_size=30), min_size=1, max_size=4),
)
def test_different_inputs_never_match(a, b):
    same = {k: normalise_value(v) for k, v in a.items()} == {
        k: normalise_value(v) for k, v in b.items()
    }
    assert (input_key("g", a) == input_key("g", b)) == same


@given(emails, emails)
def test_different_emails_never_match(a, b):
    assert (input_key("g", {"e": a}) == input_key("g", {"e": b})) == (a.lower() == b.lower())


@given(domains, paths, paths)
def test_url_paths_keep_their_case_and_differ(domain, p1, p2):
    """A path is not lower-cased (paths can be case-sensitive)."""
    same = p1.rstrip("/") == p2.rstrip("/")
    assert (input_key("g", {"u": domain + p1}) == input_key("g", {"u": domain + p2})) == same


def test_text_keeps_its_case_and_is_trimmed():
    assert input_key("g", {"company_name": "  Acme \n"}) == input_key("g", {"company_name": "Acme"})
    assert input_key("g", {"company_name": "Acme"}) != input_key("g", {"company_name": "ACME"})


def test_grid_and_provider_are_part_of_the_key():
    inputs = {"company_name": "Acme"}
    assert input_key("g1", inputs) != input_key("g2", inputs)
    assert input_key("g1", inputs) != input_key("g1", inputs, provider="other")


def test_key_does_not_depend_on_input_order():
    assert input_key("g", {"a": "1", "b": "2"}) == input_key("g", {"b": "2", "a": "1"})


# --- output-set coverage -------------------------------------------------------------------

ALL = {"industry": {"value": "x"}, "employee_count": {"value": 3}, "ai_summary": {"value": "s"}}


def test_a_result_for_more_outputs_serves_fewer():
    assert covers(None, ALL, ["industry"])
    assert covers(["industry", "employee_count"], None, ["employee_count"])
    assert covers(None, ALL, ["industry", "employee_count", "ai_summary"])


def test_a_result_for_fewer_outputs_does_not_serve_more():
    assert not covers(["industry"], {"industry": {}}, ["industry", "employee_count"])
    assert not covers(None, {"industry": {}}, ["ai_summary"])


def test_a_request_for_everything_needs_a_result_for_everything():
    assert covers(None, ALL, None)
    assert not covers(["industry", "employee_count", "ai_summary"], ALL, None)


@given(st.sets(st.sampled_from(list(ALL))), st.sets(st.sampled_from(list(ALL)), min_size=1))
def test_coverage_is_the_subset_rule(stored, wanted):
    outputs = {k: ALL[k] for k in stored}
    assert covers(sorted(stored), outputs, sorted(wanted)) == (wanted <= stored)


# --- the index -----------------------------------------------------------------------------


def _store_with(tmp_path, *runs):
    store = Store(tmp_path / "db")
    for run in runs:
        run.input_key = run.input_key or input_key(run.grid_id, run.inputs)
        store.insert_run(run)
    return store


def done(**kw):
    defaults = dict(state="completed", finished_at=NOW - DAY, outputs=ALL, user_id="U0MARIA")
    return make_run(**{**defaults, **kw})


def test_find_returns_the_newest_covering_result_trimmed_to_what_was_asked(tmp_path):
    store = _store_with(
        tmp_path,
        done(id="old", finished_at=NOW - 5 * DAY),
        done(id="new", finished_at=NOW - DAY),
        done(
            id="narrow",
            finished_at=NOW - 60,
            output_columns=["industry"],
            outputs={"industry": ALL["industry"]},
        ),
    )
    index = ResultIndex(store, clock=lambda: NOW)
    hit = index.find("g1", {"company_name": " Acme "}, ["employee_count"], "U0ANA", channel_id="C1")
    assert hit is not None and hit.run_id == "new" and list(hit.outputs) == ["employee_count"]
    assert hit.made_by == "U0MARIA" and hit.made_at == NOW - DAY
    assert (
        index.find("g1", {"company_name": "Acme"}, ["industry"], channel_id="C1").run_id == "narrow"
    )
    assert index.find("g1", {"company_name": "Acme"}, None, channel_id="C1").run_id == "new"


def test_an_answer_first_asked_in_private_is_its_askers_alone(tmp_path):
    # Maria chose Only me (or asked in a DM): nobody else gets it, or learns of it; in the
    # channel where she asked, Bob is answered and told who asked first.
    store = _store_with(
        tmp_path,
        done(id="dm", user_id="U0MARIA", channel_id="D0MARIA", inputs={"company_name": "Acme"}),
        done(id="only-me", user_id="U0MARIA", channel_id=None, inputs={"company_name": "Globex"}),
        done(
            id="shared", user_id="U0MARIA", channel_id="C0SALES", inputs={"company_name": "Initech"}
        ),
    )
    index = ResultIndex(store, clock=lambda: NOW)
    for company in ("Acme", "Globex"):
        question = {"company_name": company}
        assert index.find("g1", question, None, "U0BOB", channel_id="C0SALES") is None
        mine = index.find("g1", question, None, "U0MARIA", channel_id="C0SALES")
        assert mine is not None and mine.made_by is None  # not named in the channel
    found = index.find("g1", {"company_name": "Initech"}, None, "U0BOB", channel_id="C0SALES")
    assert found.made_by == "U0MARIA"
    elsewhere = {"company_name": "Initech"}
    assert index.find("g1", elsewhere, None, "U0BOB", channel_id="C0OTHER") is None


def test_failed_reused_and_unfinished_runs_are_never_results(tmp_path):
    store = _store_with(
        tmp_path,
        done(id="f", state="failed", outputs=None),
        done(id="x", state="expired", outputs=None),
        done(id="i", state="interrupted", outputs=None),
        done(id="r", state="reused", reused_from="gone"),
        done(id="q", state="running", finished_at=None, outputs=None),
    )
    assert (
        ResultIndex(store, clock=lambda: NOW).find("g1", {"company_name": "Acme"}, channel_id="C1")
        is None
    )


def test_the_window_default_per_grid_and_off(tmp_path):
    store = _store_with(tmp_path, done(id="a", finished_at=NOW - 10 * DAY))
    inputs = {"company_name": "Acme"}
    assert ResultIndex(store, default_days=30, clock=lambda: NOW).find(
        "g1", inputs, channel_id="C1"
    )
    assert (
        ResultIndex(store, default_days=9, clock=lambda: NOW).find("g1", inputs, channel_id="C1")
        is None
    )
    assert (
        ResultIndex(store, default_days=0, clock=lambda: NOW).find("g1", inputs, channel_id="C1")
        is None
    )
    per_grid = {"g1": 0}.get  # an admin marked g1 "no stable answer"
    assert (
        ResultIndex(store, window_for=per_grid, clock=lambda: NOW).find(
            "g1", inputs, channel_id="C1"
        )
        is None
    )
    longer = {"g1": 11}.get
    index = ResultIndex(store, default_days=5, window_for=longer, clock=lambda: NOW)
    assert index.find("g1", inputs, channel_id="C1") is not None
    # the deploy-time per-grid setting, by id or by name; the admins' setting wins over it
    by_name = ResultIndex(store, grid_days={"Company Enrichment ": 0}, clock=lambda: NOW)
    assert by_name.find("g1", inputs, grid_name="company enrichment", channel_id="C1") is None
    assert (
        by_name.find("g1", inputs, channel_id="C1") is not None
    )  # no name given: the default applies
    assert (
        ResultIndex(store, grid_days={"G1": 5}, clock=lambda: NOW).find(
            "g1", inputs, channel_id="C1"
        )
        is None
    )
    both = ResultIndex(store, grid_days={"g1": 0}, window_for=longer, clock=lambda: NOW)
    assert both.find("g1", inputs, channel_id="C1") is not None
    assert both.longest_window_days() == 30
    assert ResultIndex(store, grid_days={"g1": 90}).longest_window_days() == 90
    # the clock moves on: the same result expires
    later = ResultIndex(store, clock=lambda: NOW + 21 * DAY)
    assert later.find("g1", inputs, channel_id="C1") is None


def test_access_is_respected(tmp_path):
    store = _store_with(tmp_path, done(id="a"))
    index = ResultIndex(store, may_run=lambda user, grid: user != "U0GUEST", clock=lambda: NOW)
    assert index.find("g1", {"company_name": "Acme"}, None, "U0ANA", channel_id="C1") is not None
    assert index.find("g1", {"company_name": "Acme"}, None, "U0GUEST", channel_id="C1") is None


def test_find_many_matches_find(tmp_path):
    store = _store_with(
        tmp_path,
        done(id="a", inputs={"company_name": "Acme"}),
        done(id="b", inputs={"company_name": "Bolt"}, finished_at=NOW - 40 * DAY),
    )
    index = ResultIndex(store, clock=lambda: NOW)
    rows = [{"company_name": "Acme"}, {"company_name": "Bolt"}, {"company_name": " Acme"}]
    found = index.find_many("g1", rows, ["industry"], channel_id="C1")
    assert [f and f.run_id for f in found] == ["a", None, "a"]


def test_old_completed_runs_are_backfilled(tmp_path):
    store = Store(tmp_path / "db")
    store.insert_run(done(id="legacy"))  # stored before reuse existed: no key
    index = ResultIndex(store, clock=lambda: NOW)
    assert index.find("g1", {"company_name": "Acme"}, channel_id="C1").run_id == "legacy"


# --- settings ------------------------------------------------------------------------------


def test_reuse_settings_are_read_by_their_names(monkeypatch, tmp_path):
    from bot.config import SettingsError, load_settings

    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("RESULT_REUSE_DAYS", raising=False)
    monkeypatch.delenv("RESULT_REUSE_GRID_DAYS", raising=False)
    assert load_settings().result_reuse_days == 30
    assert load_settings().result_reuse_grid_days == {}
    monkeypatch.setenv("RESULT_REUSE_DAYS", "0")
    monkeypatch.setenv("RESULT_REUSE_GRID_DAYS", "Job Changes=0; Funding Rounds = 7.5")
    settings = load_settings()
    assert settings.result_reuse_days == 0
    assert settings.result_reuse_grid_days == {"job changes": 0, "funding rounds": 7.5}
    for bad_name, bad in (("RESULT_REUSE_DAYS", "-1"), ("RESULT_REUSE_GRID_DAYS", "Jobs=soon")):
        monkeypatch.setenv(bad_name, bad)
        try:
            load_settings()
        except SettingsError as exc:
            assert str(exc).startswith(f"{bad_name} is malformed")
        else:
            raise AssertionError(f"{bad_name}={bad} was accepted")
        monkeypatch.setenv(bad_name, "1")


def test_usage_counts_reused_rows_on_their_own_with_credits_saved(tmp_path):
    from bot.governance.usage import Usage

    store = _store_with(
        tmp_path,
        done(id="a", user_id="U0MARIA", created_at=NOW - 60),
        done(id="b", user_id="U0ANA", state="reused", reused_from="a", created_at=NOW - 30),
        done(id="c", user_id="U0ANA", state="reused", reused_from="a", created_at=NOW - 20),
    )
    usage = Usage(store, clock=lambda: NOW, cost_per_row=lambda grid_id: 5.0)
    report = usage.month()
    assert report.total.rows == 1 and report.total.credits == 5
    assert report.total.reused == 2 and report.total.saved == 10
    assert report.by_person["U0ANA"].rows == 0 and report.by_person["U0ANA"].reused == 2
    assert report.by_grid["Company Enrichment"].reused == 2
    mine = usage.month("U0MARIA")
    assert mine.total.reused == 0 and mine.total.rows == 1
    assert usage.rows_today("U0ANA") == 0  # reused rows never count against a budget
    unknown = Usage(store, clock=lambda: NOW).month()
    assert unknown.total.reused == 2 and unknown.total.saved is None
