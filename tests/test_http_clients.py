"""The real httpx clients against loopback fakes replaying recorded payloads."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from liquidity_watch.sources.ddp import DdpClient
from liquidity_watch.sources.errors import FetchError, ParseError
from liquidity_watch.sources.fred import FredClient
from liquidity_watch.sources.http import HttpClient, Pacer
from liquidity_watch.sources.nyfed import NyFedClient
from tests.conftest import fixture_bytes

SOFR_JSON = fixture_bytes("nyfed/rates_secured_sofr_search_2024-06-01_2024-06-06.json")


def _settings(fast_settings, server: HTTPServer):
    base = server.url_for("").rstrip("/")
    return fast_settings.model_copy(update={"nyfed_base_url": base, "ddp_base_url": base, "fred_base_url": base})


def test_nyfed_client_requests_the_search_window_and_parses_the_reply(httpserver: HTTPServer, fast_settings):
    httpserver.expect_request(
        "/api/rates/secured/sofr/search.json", query_string={"startDate": "2024-06-01", "endDate": "2024-06-06"}
    ).respond_with_data(SOFR_JSON, content_type="application/json; charset=utf-8")
    client = NyFedClient(_settings(fast_settings, httpserver))
    payload = client.fetch_rates("SOFR", dt.date(2024, 6, 1), dt.date(2024, 6, 6))
    assert payload.source == "nyfed"
    assert payload.url.endswith("/api/rates/secured/sofr/search.json?startDate=2024-06-01&endDate=2024-06-06")
    assert len(payload.sha256) == 64
    assert payload.observations.filter(payload.observations["series_id"] == "SOFR")["value"].to_list() == [
        5.33,
        5.33,
        5.33,
        5.35,
    ]


def test_nyfed_client_fetches_tgcr_bgcr_and_repo_operations_as_the_snapshot_has_them(
    httpserver: HTTPServer, fast_settings, snapshot_observations
):
    from tests.fakes import FakeFed

    FakeFed(httpserver, snapshot_observations)
    client = NyFedClient(_settings(fast_settings, httpserver))
    week = (dt.date(2019, 9, 16), dt.date(2019, 9, 20))
    tgcr = client.fetch_rates("TGCR", *week).observations
    bgcr = client.fetch_rates("BGCR", *week).observations
    operations = client.fetch_operations(*week).observations
    repo = operations.filter(operations["series_id"] == "RPONTSYD")
    rrp = client.fetch_operations(dt.date(2022, 4, 25), dt.date(2022, 4, 26)).observations
    assert dict(tgcr.select("date", "value").rows())[dt.date(2019, 9, 17)] == 5.25
    assert bgcr["series_id"].unique().to_list() == ["BGCRRATE"]
    assert repo.sort("date").select("date", "value").rows() == [
        (dt.date(2019, 9, 17), 40.85),
        (dt.date(2019, 9, 18), 51.55),
        (dt.date(2019, 9, 19), 55.843),
        (dt.date(2019, 9, 20), 59.15),
    ]
    assert sorted(rrp.filter(rrp["series_id"] == "RRPONTSYAWARD")["value"].to_list()) == [0.3, 0.3]


def test_the_fake_nyfed_answers_400_to_an_undocumented_operations_search_and_it_is_not_retried(
    httpserver: HTTPServer, fast_settings, snapshot_observations
):
    from tests.fakes import FakeFed

    fake = FakeFed(httpserver, snapshot_observations)
    client = NyFedClient(_settings(fast_settings, httpserver))
    with pytest.raises(FetchError) as info:
        client._fetch(
            "/api/rp/reverserepo/all/results/search.json",
            dt.date(2022, 4, 25),
            dt.date(2022, 4, 26),
            lambda body, url: None,
        )
    assert info.value.status == 400
    assert fake.requests_to("/api/rp/reverserepo/all/results/search.json") == 1
    # the documented search answers the same window
    assert client.fetch_operations(dt.date(2022, 4, 25), dt.date(2022, 4, 26)).observations.height == 6


def test_the_fake_upstreams_answer_400_to_a_query_they_do_not_document(
    httpserver: HTTPServer, fast_settings, snapshot_observations
):
    from tests.fakes import FakeFed

    FakeFed(httpserver, snapshot_observations)
    http = HttpClient(fast_settings.model_copy(update={"http_max_attempts": 1}), "nyfed")
    base = httpserver.url_for("").rstrip("/")
    for path, query in [
        ("/api/rates/secured/sofr/search.json", {"startDate": "2024-06-01"}),  # no endDate
        ("/api/rp/results/search.json", {"startDate": "2024-06-01", "endDate": "2024-06-06", "limit": "5"}),
        ("/datadownload/Output.aspx", {"rel": "H41", "filetype": "zip", "lastobs": "1"}),
        ("/datadownload/Choose.aspx", {"rel": "H41"}),
        ("/graph/fredgraph.csv", {"series_id": "SOFR"}),
    ]:
        with pytest.raises(FetchError) as info:
            http.get(base + path, query)
        assert info.value.status == 400, path


def test_429_with_retry_after_is_waited_out_up_to_the_cap_and_then_succeeds(httpserver: HTTPServer, fast_settings):
    seen: list[float] = []

    def record(request: Request) -> None:
        seen.append(time.monotonic())

    httpserver.expect_oneshot_request("/api/rates/secured/sofr/search.json").respond_with_handler(
        lambda r: (record(r), Response('{"message":"Too Many Requests"}', status=429, headers={"Retry-After": "1"}))[1]
    )
    httpserver.expect_request("/api/rates/secured/sofr/search.json").respond_with_handler(
        lambda r: (record(r), Response(SOFR_JSON, status=200, content_type="application/json"))[1]
    )
    # the server asks for 1 s; the cap (0.3 s here, 300 s by default) bounds what any one answer can ask
    settings = _settings(fast_settings, httpserver).model_copy(update={"http_retry_after_cap_s": 0.3})
    lines: list[str] = []
    client = NyFedClient(settings, HttpClient(settings, "nyfed", on_retry=lines.append))
    payload = client.fetch_rates("SOFR", dt.date(2024, 6, 1), dt.date(2024, 6, 6))
    assert payload.observations.height == 4 * 6  # 4 days x (rate, 4 percentiles, volume)
    assert len(seen) == 2
    assert [line.split(": GET ")[0] for line in lines] == ["nyfed: HTTP 429; attempt 1 of 3, retrying in 0.3 s"]
    assert seen[1] - seen[0] >= 0.29  # slept the capped Retry-After, not the 0.01 s backoff


def test_5xx_again_and_again_gives_up_after_the_bounded_attempts_naming_source_url_and_status(
    httpserver: HTTPServer, fast_settings
):
    httpserver.expect_request("/graph/fredgraph.csv").respond_with_data("upstream down", status=503)
    client = FredClient(_settings(fast_settings, httpserver))
    with pytest.raises(FetchError) as info:
        client.fetch("IORB")
    assert info.value.status == 503
    assert str(info.value).startswith("fred: HTTP 503 after 3 attempts (http://")
    assert "fredgraph.csv?id=IORB" in str(info.value)
    assert len(httpserver.log) == 3


def test_a_404_is_not_retried_and_names_the_status(httpserver: HTTPServer, fast_settings):
    httpserver.expect_request("/graph/fredgraph.csv").respond_with_data("no such series", status=404)
    with pytest.raises(FetchError, match="fred: HTTP 404"):
        FredClient(_settings(fast_settings, httpserver)).fetch("NOPE")
    assert len(httpserver.log) == 1


def test_a_server_that_never_answers_times_out_with_a_clear_error(fast_settings):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts connections, never answers
    port = listener.getsockname()[1]
    settings = fast_settings.model_copy(
        update={"fred_base_url": f"http://127.0.0.1:{port}", "http_timeout_s": 0.1, "http_max_attempts": 2}
    )
    try:
        with pytest.raises(FetchError, match=r"fred: timed out after 2 attempts \(0.1 s each\)"):
            FredClient(settings).fetch("IORB")
    finally:
        listener.close()


def test_a_host_that_never_answers_gets_two_attempts_and_is_not_asked_again_in_the_run(fast_settings):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts connections, never answers
    host = f"127.0.0.1:{listener.getsockname()[1]}"
    settings = fast_settings.model_copy(
        update={"fred_base_url": f"http://{host}", "http_timeout_s": 0.1, "http_max_attempts": 5}
    )
    client = FredClient(settings)
    try:
        with pytest.raises(FetchError, match=r"fred: timed out after 2 attempts \(0.1 s each\)"):
            client.fetch("IORB")
        with pytest.raises(FetchError) as again:
            client.fetch("SOFR")
    finally:
        listener.close()
    assert (
        again.value.problem
        == f"{host} did not answer: timed out after 2 attempts (0.1 s each); not tried again in this run"
    )
    assert client.http.attempts[host] == 2


def test_fred_client_parses_the_keyless_csv_and_asks_from_the_start_date(httpserver: HTTPServer, fast_settings):
    httpserver.expect_request(
        "/graph/fredgraph.csv", query_string={"id": "SOFR", "cosd": "2019-08-29"}
    ).respond_with_data(
        fixture_bytes("fred/fredgraph_SOFR_DATE_header_2019-08-29_2024-08-29.csv"), content_type="text/csv"
    )
    payload = FredClient(_settings(fast_settings, httpserver)).fetch("SOFR", dt.date(2019, 8, 29))
    sofr = payload.observations
    assert sofr.filter(sofr["date"] == dt.date(2019, 9, 17))["value"].item() == 5.25


def test_a_configured_package_is_asked_for_as_csv_and_fails_closed_on_an_html_200(
    httpserver: HTTPServer, fast_settings
):
    httpserver.expect_request("/datadownload/Output.aspx").respond_with_data(
        "<!DOCTYPE html><html><body>The application is temporarily unavailable</body></html>", content_type="text/html"
    )
    settings = _settings(fast_settings, httpserver).model_copy(update={"ddp_h41_package": "0123456789abcdef"})
    with pytest.raises(ParseError, match="ddp: expected CSV, got an HTML page"):
        DdpClient(settings).fetch_h41({"WALCL": dt.date(2016, 2, 3)}, dt.date(2017, 12, 27))
    query = httpserver.log[0][0].args
    assert query["series"] == "0123456789abcdef"
    assert query["rel"] == "H41"
    assert query["from"] == "02/03/2016" and query["to"] == "12/27/2017"
    assert query["filetype"] == "csv" and query["layout"] == "seriescolumn" and query["label"] == "include"


def test_pacer_spaces_requests_to_one_host():
    pacer = Pacer(per_second=20)
    start = time.monotonic()
    for _ in range(5):
        pacer.wait("host")
    assert time.monotonic() - start >= 4 / 20 - 0.01


def test_pacer_is_shared_safely_between_threads():
    pacer = Pacer(per_second=50)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker():
        pacer.wait("h")
        with lock:
            stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    assert stamps[-1] - stamps[0] >= 5 / 50 - 0.01


def test_redirects_are_followed_only_on_the_configured_host(httpserver: HTTPServer, fast_settings):
    httpserver.expect_request("/elsewhere").respond_with_data("x")
    httpserver.expect_request("/start").respond_with_data(
        "", status=302, headers={"Location": "http://evil.example/steal"}
    )
    client = HttpClient(_settings(fast_settings, httpserver), "ddp", follow_redirects_on="127.0.0.1")
    with pytest.raises(FetchError, match="ddp: HTTP 302"):
        client.get(httpserver.url_for("/start"))


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again on exit: connections to it are refused


@pytest.mark.parametrize(
    ("base", "problem"),
    [
        (
            "http://markets.newyorkfed.invalid",
            r"DNS lookup failed for markets.newyorkfed.invalid \(.+\) after 2 attempts",
        ),
        ("http://127.0.0.1:{port}", r"connection refused by 127.0.0.1:\d+ after 2 attempts"),
    ],
)
def test_an_unreachable_host_gets_two_attempts_not_five_and_one_log_line_per_retry(fast_settings, base, problem):
    base = base.format(port=_closed_port())
    lines: list[str] = []
    http = HttpClient(fast_settings.model_copy(update={"http_max_attempts": 5}), "nyfed", on_retry=lines.append)
    client = NyFedClient(fast_settings.model_copy(update={"nyfed_base_url": base}), http)
    with pytest.raises(FetchError, match=f"nyfed: {problem}"):
        client.fetch_rates("SOFR", dt.date(2024, 6, 1), dt.date(2024, 6, 6))
    assert sum(http.attempts.values()) == 2
    assert len(lines) == 1
    assert lines[0].startswith("nyfed: ")
    assert "; attempt 1 of 2, retrying in " in lines[0]
    assert lines[0].endswith(f"GET {base}/api/rates/secured/sofr/search.json?startDate=2024-06-01&endDate=2024-06-06")


def test_once_a_host_is_unreachable_later_requests_to_it_fail_at_once(fast_settings):
    base = "http://markets.newyorkfed.invalid"
    http = HttpClient(fast_settings, "nyfed", on_retry=lambda line: None)
    client = NyFedClient(fast_settings.model_copy(update={"nyfed_base_url": base}), http)
    with pytest.raises(FetchError):
        client.fetch_rates("SOFR", dt.date(2024, 6, 1), dt.date(2024, 6, 6))
    with pytest.raises(FetchError, match=r"DNS lookup failed .*; not tried again in this run"):
        client.fetch_rates("EFFR", dt.date(2024, 6, 1), dt.date(2024, 6, 6))
    assert http.attempts == {"markets.newyorkfed.invalid": 2}


def test_each_retry_of_a_5xx_logs_source_attempt_wait_and_the_url_with_secrets_redacted(
    httpserver: HTTPServer, fast_settings
):
    httpserver.expect_request("/fred/series/observations").respond_with_data("down", status=502)
    lines: list[str] = []
    client = HttpClient(fast_settings, "fred", on_retry=lines.append)
    with pytest.raises(FetchError) as info:
        client.get(httpserver.url_for("/fred/series/observations"), {"series_id": "SOFR", "api_key": "abcd1234secret"})
    assert [line.split(";")[1].split(",")[0].strip() for line in lines] == ["attempt 1 of 3", "attempt 2 of 3"]
    assert all(line.startswith("fred: HTTP 502; attempt") for line in lines)
    assert all(line.endswith("?series_id=SOFR&api_key=***") for line in lines)
    assert "abcd1234secret" not in str(info.value) and "api_key=***" in str(info.value)
    assert len(httpserver.log) == 3


def test_a_conditional_get_sends_the_validators_it_knows_and_takes_304_as_not_modified(
    httpserver: HTTPServer, fast_settings
):
    from liquidity_watch.domain.payload import Validators

    url = httpserver.url_for("/graph/fredgraph.csv")
    httpserver.expect_request("/graph/fredgraph.csv", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304, headers={"ETag": '"v1"'}
    )
    known = {f"{url}?id=IORB": Validators(etag='"v1"', last_modified="Thu, 27 Aug 2026 20:30:00 GMT")}
    client = FredClient(_settings(fast_settings, httpserver), HttpClient(fast_settings, "fred", validators=known))
    result = client.fetch("IORB")
    assert result.__class__.__name__ == "NotModified"
    assert result.validators == known[f"{url}?id=IORB"]
    assert httpserver.log[0][0].headers["If-Modified-Since"] == "Thu, 27 Aug 2026 20:30:00 GMT"
