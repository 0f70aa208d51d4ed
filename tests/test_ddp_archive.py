"""H.4.1 from the Board's whole-release ZIP, through the real client against a loopback Board: good and bad archives."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

import polars as pl
import pytest
from pytest_httpserver import HTTPServer

from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.payload import Payload, Validators
from liquidity_watch.sources.ddp import H41_SERIES, DdpClient
from liquidity_watch.sources.ddp_zip import parse_h41_xml
from liquidity_watch.sources.errors import ParseError, SeriesRefused
from liquidity_watch.sources.http import HttpClient, NotModified
from tests.fakes import ARCHIVE_PATH, FakeFed
from tests.h41_archive import MISSING_VALUE, archive_bytes

END = today_new_york()  # a run of today (a replay's window is its own payload)
H41_IDS = sorted(set(H41_SERIES.values()))


@pytest.fixture(scope="module")
def h41_snapshot(snapshot_observations) -> pl.DataFrame:
    return snapshot_observations.filter(pl.col("series_id").is_in(H41_IDS))


@pytest.fixture(scope="module")
def good_archive(snapshot_archive) -> bytes:
    return snapshot_archive


def _client(fast_settings, server: HTTPServer, **settings: object) -> DdpClient:
    update = {"ddp_base_url": server.url_for("").rstrip("/"), **settings}
    return DdpClient(fast_settings.model_copy(update=update))


def _serve(server: HTTPServer, body: bytes, content_type: str = "application/x-zip-compressed") -> None:
    server.expect_request(ARCHIVE_PATH).respond_with_data(body, content_type=content_type)


def _fetch(client: DdpClient, since: dict[str, dt.date] | None = None) -> Payload:
    result = client.fetch_h41(since or {}, END)
    assert isinstance(result, Payload)
    return result


def _rezip(original: bytes, rename: dict[str, str] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The same archive with members renamed or added (names a normal writer would refuse to produce)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr((rename or {}).get(info.filename, info.filename), src.read(info))
        for name, body in (add or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def test_the_release_archive_gives_every_h41_series_equal_to_the_snapshot_with_the_zip_hash_as_provenance(
    httpserver: HTTPServer, fast_settings, good_archive, h41_snapshot
):
    _serve(httpserver, good_archive)
    payload = _fetch(_client(fast_settings, httpserver))
    assert payload.source == "ddp"
    assert payload.url.endswith("/datadownload/Output.aspx?rel=H41&filetype=zip")
    assert payload.sha256 == hashlib.sha256(good_archive).hexdigest()
    assert payload.n_bytes == len(good_archive)
    assert payload.note == "file prepared 2026-08-27T16:30:00"
    got = payload.observations.sort("series_id", "date")
    assert got.equals(h41_snapshot.filter(pl.col("date") <= END).sort("series_id", "date"))
    assert got.filter((pl.col("series_id") == "WRESBAL") & (pl.col("date") == dt.date(2019, 9, 18)))[
        "value"
    ].item() == (1_394_122.0)
    assert httpserver.log[0][0].args.to_dict() == {"rel": "H41", "filetype": "zip"}  # no package id


def test_a_replay_keeps_the_weeks_up_to_its_day_as_a_payload_of_its_own_without_validators(
    httpserver: HTTPServer, fast_settings, good_archive
):
    _serve(httpserver, good_archive)
    result = _client(fast_settings, httpserver).fetch_h41({}, dt.date(2019, 9, 18))
    assert isinstance(result, Payload)
    assert result.observations["date"].max() == dt.date(2019, 9, 18)
    # not the whole file's hash: a later run of today must not take the file as landed
    assert (
        result.sha256
        == hashlib.sha256(f"{hashlib.sha256(good_archive).hexdigest()} up to 2019-09-18".encode()).hexdigest()
    )
    assert not result.validators  # and must not hear "not modified" for the weeks the replay left out


def test_an_incremental_run_keeps_only_the_weeks_from_each_series_start(
    httpserver: HTTPServer, fast_settings, good_archive
):
    _serve(httpserver, good_archive)
    payload = _fetch(_client(fast_settings, httpserver), {"WALCL": dt.date(2026, 8, 12)})
    walcl = payload.observations.filter(pl.col("series_id") == "WALCL")
    assert walcl["date"].to_list() == [
        dt.date(2026, 8, 12),
        dt.date(2026, 8, 19),
        dt.date(2026, 8, 26),
        dt.date(2026, 9, 2),
    ]
    assert payload.observations.filter(pl.col("series_id") == "WRESBAL").height == 1238  # no start: all history


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"members": {"frb_common.xsd": None}},
            r"members differ from the documented four \(missing \['frb_common.xsd'\]\)",
        ),
        (
            {"members": {"notes.txt": b"hello"}},
            r"members differ from the documented four \(unexpected \['notes.txt'\]\)",
        ),
    ],
)
def test_an_archive_with_a_missing_or_an_extra_member_is_refused_naming_it(
    httpserver: HTTPServer, fast_settings, snapshot_observations, change, message
):
    _serve(httpserver, archive_bytes(snapshot_observations, **change))
    with pytest.raises(ParseError, match=message):
        _fetch(_client(fast_settings, httpserver))


def test_a_member_path_with_dot_dot_is_refused_before_anything_is_read(
    httpserver: HTTPServer, fast_settings, good_archive
):
    _serve(httpserver, _rezip(good_archive, rename={"H41_struct.xml": "../H41_struct.xml"}))
    with pytest.raises(ParseError, match=r"refused the H.4.1 archive: unsafe member path '../H41_struct.xml'"):
        _fetch(_client(fast_settings, httpserver))


def test_an_absolute_member_path_is_refused(httpserver: HTTPServer, fast_settings, good_archive):
    _serve(httpserver, _rezip(good_archive, add={"/etc/cron.d/x": b"* * * * * root true"}))
    with pytest.raises(ParseError, match=r"unsafe member path '/etc/cron.d/x'"):
        _fetch(_client(fast_settings, httpserver))


def test_a_data_member_larger_than_the_expansion_bound_is_refused_by_its_declared_size(
    httpserver: HTTPServer, fast_settings, good_archive
):
    _serve(httpserver, good_archive)  # H41_data.xml is ~0.6 MB; the bound is set to 0.25 MB
    with pytest.raises(ParseError, match=r"member H41_data.xml expands to 0\.\d MB, more than the bound of 0.25 MB"):
        _fetch(_client(fast_settings, httpserver, h41_xml_max_mb=0.25))


def test_a_download_larger_than_its_bound_is_refused_while_streaming(
    httpserver: HTTPServer, fast_settings, good_archive
):
    _serve(httpserver, good_archive)
    with pytest.raises(
        ParseError, match=r"ddp: the server (declares|sent) .* MB, more than the bound of 0.01 MB: refused"
    ):
        _fetch(_client(fast_settings, httpserver, h41_zip_max_mb=0.01))


def test_a_truncated_zip_is_refused_as_unreadable(httpserver: HTTPServer, fast_settings, good_archive):
    _serve(httpserver, good_archive[: len(good_archive) // 2])
    with pytest.raises(ParseError, match=r"ddp: not a readable ZIP archive \(truncated download\?\)"):
        _fetch(_client(fast_settings, httpserver))


def test_html_served_with_status_200_is_refused_and_says_so(httpserver: HTTPServer, fast_settings):
    _serve(
        httpserver,
        b"<!DOCTYPE html><html><body>The application is temporarily unavailable</body></html>",
        content_type="text/html",
    )
    with pytest.raises(ParseError, match=r"ddp: returned HTML with status 200, not a ZIP archive"):
        _fetch(_client(fast_settings, httpserver))


def test_a_unit_multiplier_change_refuses_that_series_by_name_and_keeps_the_others(
    httpserver: HTTPServer, fast_settings, snapshot_observations
):
    body = archive_bytes(snapshot_observations, attributes={"RESH4R_XAW_N.WW": {"UNIT_MULT": "1000"}})
    _serve(httpserver, body)
    with pytest.raises(SeriesRefused) as info:
        _fetch(_client(fast_settings, httpserver))
    assert info.value.problems == {
        "WRESBAL": "RESH4R_XAW_N.WW (WRESBAL): UNIT_MULT is '1000' where '1000000' is expected (millions of USD)"
    }
    assert info.value.partial is not None
    assert "WRESBAL" not in info.value.partial.series and "WALCL" in info.value.partial.series


def test_a_currency_change_is_refused_naming_the_attribute(
    httpserver: HTTPServer, fast_settings, snapshot_observations
):
    _serve(httpserver, archive_bytes(snapshot_observations, attributes={"RESPPMA_N.WW": {"CURRENCY": "EUR"}}))
    with pytest.raises(SeriesRefused, match=r"RESPPMA_N.WW \(WALCL\): CURRENCY is 'EUR' where 'USD' is expected"):
        _fetch(_client(fast_settings, httpserver))


def test_a_required_series_missing_from_the_file_is_named(httpserver: HTTPServer, fast_settings, snapshot_observations):
    _serve(httpserver, archive_bytes(snapshot_observations, drop=frozenset({"RESPPLLDT_N.WW"})))
    with pytest.raises(SeriesRefused, match=r"RESPPLLDT_N.WW \(WDTGAL\) is missing from H41_data.xml") as info:
        _fetch(_client(fast_settings, httpserver))
    assert set(info.value.problems) == {"WDTGAL"}


def test_observations_with_a_status_other_than_a_are_missing_values_whatever_their_sentinel(
    httpserver: HTTPServer, fast_settings, snapshot_observations
):
    marked = {
        ("RESPPMA_N.WW", dt.date(2019, 9, 18)): "NA",
        ("RESPPMA_N.WW", dt.date(2019, 9, 25)): "NC",
        ("RESPPMA_N.WW", dt.date(2019, 10, 2)): "ND",
    }
    _serve(httpserver, archive_bytes(snapshot_observations, statuses=marked))
    walcl = _fetch(_client(fast_settings, httpserver)).observations.filter(pl.col("series_id") == "WALCL")
    assert walcl.height == 1238 - 3
    assert not walcl["date"].is_in([d for _, d in marked]).any()
    assert float(MISSING_VALUE) not in walcl["value"].to_list()
    kept = snapshot_observations.filter((pl.col("series_id") == "WALCL") & (pl.col("date") == dt.date(2019, 9, 11)))
    assert walcl.filter(pl.col("date") == dt.date(2019, 9, 11))["value"].item() == kept["value"].item()


def _xml(series: str, obs: str, attributes: str = 'UNIT="Currency" UNIT_MULT="1000000" CURRENCY="USD"') -> bytes:
    return (
        '<?xml version="1.0"?><m:MessageGroup xmlns:m="m" xmlns:kf="kf" xmlns:frb="frb"><frb:DataSet>'
        f'<kf:Series SERIES_NAME="{series}" {attributes}>{obs}</kf:Series></frb:DataSet></m:MessageGroup>'
    ).encode()


@pytest.mark.parametrize(
    ("obs", "message"),
    [
        ('<frb:Obs OBS_STATUS="A" OBS_VALUE="1" TIME_PERIOD="2019-09-19"/>', "2019-09-19 is a Thursday"),
        (
            '<frb:Obs OBS_STATUS="A" OBS_VALUE="1" TIME_PERIOD="20190918"/>',
            "TIME_PERIOD '20190918' is not a date written YYYY-MM-DD",
        ),
        (
            '<frb:Obs OBS_STATUS="A" OBS_VALUE="1,394,122" TIME_PERIOD="2019-09-18"/>',
            "'1,394,122' is not a plain decimal",
        ),
        (
            '<frb:Obs OBS_STATUS="A" OBS_VALUE="1e6" TIME_PERIOD="2019-09-18"/>',
            "OBS_VALUE '1e6' is not a plain decimal",
        ),
        ('<frb:Obs OBS_STATUS="A" OBS_VALUE="١٢" TIME_PERIOD="2019-09-18"/>', "is not a plain decimal number"),
        ('<frb:Obs OBS_VALUE="1" TIME_PERIOD="2019-09-18"/>', "2019-09-18: observation without OBS_STATUS"),
    ],
)
def test_dates_must_be_iso_wednesdays_and_values_plain_decimals(obs, message):
    with pytest.raises(ParseError, match=message):
        parse_h41_xml(io.BytesIO(_xml("RESPPMA_N.WW", obs)), url="u", series={"RESPPMA_N.WW": "WALCL"})


_KEPT = {"RESPPMA_N.WW": "WALCL"}
_OBS = '<frb:Obs OBS_STATUS="A" OBS_VALUE="7" TIME_PERIOD="2019-09-18"/>'
_DTD = '<!DOCTYPE m:MessageGroup [<!ENTITY v "8">]>'


def _wrapped(inner: str, head: str = '<?xml version="1.0"?>', kept: str = _OBS) -> str:
    return (
        f'{head}<m:MessageGroup xmlns:m="m" xmlns:kf="kf" xmlns:frb="frb"><frb:DataSet>{inner}'
        f'<kf:Series SERIES_NAME="RESPPMA_N.WW" UNIT="Currency" UNIT_MULT="1000000" CURRENCY="USD">{kept}'
        "</kf:Series></frb:DataSet></m:MessageGroup>"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            _wrapped("", head=f'<?xml version="1.0"?>{_DTD}').encode(), "a document type declaration", id="dtd"
        ),
        pytest.param(
            _wrapped("", head=f'<?xml version="1.0" encoding="UTF-16"?>{_DTD}').encode("utf-16"),
            "a document type declaration",
            id="dtd-utf16",
        ),
        pytest.param(
            _wrapped("", head='<?xml version="1.0"?>' + "<!--" + " " * 900_000 + "-->" + _DTD).encode(),
            "a document type declaration",
            id="dtd-after-a-900KB-comment",
        ),
        pytest.param(_wrapped('<?evil run="x"?>').encode(), "a processing instruction", id="pi-in-the-data-set"),
        pytest.param(_wrapped("<x/>" * 10_001).encode(), "more than 10,000 elements outside any Series", id="flood"),
        pytest.param(_wrapped("<a>" * 40 + "</a>" * 40).encode(), "elements nest more than 32 deep", id="deep-nesting"),
        pytest.param(
            _wrapped('<kf:Series SERIES_NAME="' + "N" * (2 << 20) + '"/>').encode(),
            "without an element boundary",
            id="one-2MB-tag",
        ),
        pytest.param(
            _wrapped(
                "", kept='<frb:Obs OBS_STATUS="A" OBS_VALUE="' + "9" * 400 + '" TIME_PERIOD="2019-09-18"/>'
            ).encode(),
            "OBS_VALUE '99999.* is out of range",
            id="400-digit-value",
        ),
        pytest.param(
            _wrapped("", kept=_OBS * 20_001).encode(), "holds more than 20,000 observations", id="too-many-obs"
        ),
        pytest.param(
            _wrapped('<kf:Series SERIES_NAME="OTHER">' + "<o/>" * 100_001 + "</kf:Series>").encode(),
            "more than 100,000 elements in one Series",
            id="one-series-of-empty-elements",
        ),
        pytest.param(
            _wrapped("", head='<?xml version="1.0" encoding="x-unknown"?>').encode(), "not well-formed", id="encoding"
        ),
        pytest.param(
            _wrapped("", head="<!--" + " " * (2 << 20) + "-->").encode(),
            "without an element boundary",
            id="2MB-comment",
        ),
    ],
)
def test_hostile_xml_is_refused_by_the_parser_with_one_line_naming_what_it_found(body, message):
    with pytest.raises(ParseError, match=message) as caught:
        parse_h41_xml(io.BytesIO(body), url="u", series=_KEPT)
    assert len(str(caught.value).splitlines()) == 1


def test_an_entity_reference_is_never_expanded_into_a_value():
    body = _wrapped("", head=f'<?xml version="1.0"?>{_DTD}', kept=_OBS.replace('"7"', '"&v;"')).encode()
    with pytest.raises(ParseError, match="document type declaration"):
        parse_h41_xml(io.BytesIO(body), url="u", series=_KEPT)


def test_series_outside_the_catalog_are_read_and_forgotten_within_the_bounds():
    others = "".join(f'<kf:Series SERIES_NAME="OTHER{i}">{_OBS * 50}</kf:Series>' for i in range(200))
    release = parse_h41_xml(io.BytesIO(_wrapped(others).encode()), url="u", series=_KEPT)
    assert release.observations.rows() == [("WALCL", dt.date(2019, 9, 18), 7.0)]


def test_the_element_count_stops_at_its_bound_wherever_the_elements_are():
    from liquidity_watch.sources.safe_xml import XmlLimits, XmlRefused, stream_xml

    body = _wrapped("".join(f'<kf:Series SERIES_NAME="S{i}">{_OBS * 9}</kf:Series>' for i in range(20))).encode()
    with pytest.raises(XmlRefused, match=r"H41_data\.xml: more than 150 elements"):
        stream_xml(
            io.BytesIO(body),
            what="H41_data.xml",
            limits=XmlLimits(max_bytes=2**20, max_elements=150),
            start=lambda name, attributes: None,
        )


def test_the_data_member_is_counted_as_it_expands_and_stops_at_its_bound():
    body = _wrapped(f'<kf:Series SERIES_NAME="OTHER">{_OBS * 2_000}</kf:Series>').encode()
    with pytest.raises(ParseError, match=r"H41_data\.xml expands past 65,536 bytes"):
        parse_h41_xml(io.BytesIO(body), url="u", series=_KEPT, max_bytes=65_536)


def test_malformed_xml_is_refused_naming_the_member():
    with pytest.raises(ParseError, match=r"H41_data\.xml is not well-formed XML"):
        parse_h41_xml(io.BytesIO(_xml("RESPPMA_N.WW", "<frb:Obs")), url="u", series={"RESPPMA_N.WW": "WALCL"})


def test_a_conditional_request_that_the_board_answers_304_is_not_modified(
    httpserver: HTTPServer, fast_settings, snapshot_observations, snapshot_archive
):
    fake = FakeFed(httpserver, snapshot_observations, snapshot_archive)
    settings = fast_settings.model_copy(update={"ddp_base_url": fake.base_url})
    first = DdpClient(settings).fetch_h41({}, END)
    assert isinstance(first, Payload) and first.validators.etag and first.validators.last_modified
    known = {first.url: first.validators}
    again = DdpClient(settings, HttpClient(settings, "ddp", follow_redirects_on="localhost", validators=known))
    result = again.fetch_h41({}, END)
    assert isinstance(result, NotModified)
    assert result.validators == first.validators
    assert fake.headers[-1]["If-None-Match"] == first.validators.etag
    assert fake.headers[-1]["If-Modified-Since"] == first.validators.last_modified
    assert Validators(etag=None, last_modified=None).request_headers() == {}
