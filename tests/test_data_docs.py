"""Data Docs: one site per warehouse, a bounded run history, and pages that work offline.

The site tests build real GX Data Docs from the real gate (no Prefect); the browser test
opens the built pages in headless Chromium with no network and reads the rendered DOM.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from pathlib import Path

import polars as pl
import pytest

from liquidity_watch.expectations import data_docs
from liquidity_watch.expectations.data_docs import asset_references, css_references, make_offline
from liquidity_watch.settings import Settings
from liquidity_watch.warehouse.paths import WarehousePaths
from tests.browser import needs_chromium, probe


def policy_changes(change_bp: float) -> pl.DataFrame:
    """Two rate changes; a ``change_bp`` of 0 breaks the suite's 'a change is not 0' check."""
    return pl.DataFrame(
        {
            "date": [dt.date(2019, 8, 1), dt.date(2019, 9, 19)],
            "old_lower_pct": [2.25, 2.0],
            "old_upper_pct": [2.5, 2.25],
            "new_lower_pct": [2.0, 1.75],
            "new_upper_pct": [2.25, 2.0],
            "change_bp": [-25.0, change_bp],
        }
    )


def validated_run(folder: Path, run_id: str, change_bp: float = -25.0, keep_runs: int = data_docs.KEEP_RUNS) -> Path:
    """One gate run (the real suite, a two-row table) whose docs go to ``folder``; returns index.html."""
    from liquidity_watch.expectations.gate import Validator
    from liquidity_watch.expectations.staging import stage_policy
    from liquidity_watch.expectations.suites import policy_changes_suite

    gate = Validator(run_id)
    gate.validate(policy_changes_suite(), stage_policy(policy_changes(change_bp)), ["day"])
    return data_docs.build_site(gate.context, folder, run_id, keep_runs=keep_runs)


def index_runs(index: Path) -> dict[str, str]:
    """Run name -> "Success"/"Failed", as the index page's table data lists them."""
    html = index.read_text()
    runs = re.findall(r"'run_name': '([^']*)'", html)
    status = re.findall(r"'_validation_success_text': '(\w+)'", html)
    return dict(zip(runs, status, strict=True))


def unresolved_assets(site: Path) -> list[str]:
    """Every asset of every page (and every url() of the stylesheets they load) that is not a local file."""
    missing = []
    for page in site.rglob("*.html"):
        for url in asset_references(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+://", url) or url.startswith("//"):
                missing.append(f"{page.relative_to(site)}: {url}")
                continue
            target = (page.parent / url.split("?")[0]).resolve()
            if not target.is_file() or not target.is_relative_to(site):
                missing.append(f"{page.relative_to(site)}: {url}")
            elif target.suffix == ".css":
                for inner in css_references(target.read_text(encoding="utf-8")):
                    if not (target.parent / inner.split("?")[0].split("#")[0]).resolve().is_file():
                        missing.append(f"{target.relative_to(site)}: {inner}")
    return missing


# --- fast: no Great Expectations ------------------------------------------------------------


def test_each_warehouse_has_its_own_data_docs_folder_named_after_its_file(tmp_path):
    assert WarehousePaths.of(Path("var/liquidity.duckdb")).data_docs == Path("var/liquidity.data_docs")
    assert WarehousePaths.of(tmp_path / "other.duckdb").data_docs == tmp_path / "other.data_docs"
    w = tmp_path / "w.duckdb"
    assert WarehousePaths.for_run(Settings(data_docs_dir=None), w, None).data_docs == tmp_path / "w.data_docs"
    assert WarehousePaths.for_run(Settings(data_docs_dir=tmp_path / "docs"), w, None).data_docs == tmp_path / "docs"


def test_every_cdn_asset_ships_in_the_package_with_its_licence():
    assets = data_docs.assets_dir()
    for url, paths in data_docs.CDN_ASSETS.items():
        for path in paths:
            assert (assets / path).is_file(), f"{url} -> {path} is missing"
            package = assets / path.split("/")[0]
            assert list(package.glob("LICENSE*")), f"{package.name} has no licence file"
    assert (assets / "PROVENANCE.md").is_file()


def test_the_shipped_scripts_are_the_files_gx_pins_by_integrity_hash():
    """GX's templates pin two CDN scripts by SHA-384; the shipped copies must hash the same."""
    pinned = {
        "popper.js@1.12.9/dist/umd/popper.min.js": "ApNbgh9B+Y1QKtv3Rn7W3mgPxhU9K/ScQsAP7hUibX39j7fakFPskvXusvfa0b4Q",
        "bootstrap@4.3.1/dist/js/bootstrap.min.js": "JjSmVgyd0p3pXB1rRibZUAYoIIy6OrQ6VrjIEaFf/nJGzIxFDsf4x0xIM+B07jRM",
    }
    for path, digest in pinned.items():
        data = (data_docs.assets_dir() / path).read_bytes()
        assert base64.b64encode(hashlib.sha384(data).digest()).decode() == digest


def test_a_page_is_pointed_at_local_copies_of_its_cdn_assets(tmp_path):
    site = tmp_path / "site"
    page = site / "validations" / "core" / "t" / "run" / "20261130T000000Z" / "page.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        '<html><head><link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>\n'
        '<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css">\n'
        '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>\n'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js" integrity="sha384-x" crossorigin="anonymous"></script>\n'
        '<script src="https://example.org/unknown.js"></script>\n'
        '<link rel="shortcut icon" href="../../../../static/images/favicon.ico" type="image/x-icon"/>\n'
        "<style>.a { background: url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png') }</style>\n"
        '</head><body><a href="https://greatexpectations.io">GX</a>'
        '<img class="NO-CACHE" src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1"/>'
        "</body></html>"
    )
    make_offline(page, site)
    html = page.read_text()
    up = "../../../../../static"
    assert asset_references(html) == [
        f"{up}/vendor/bootstrap@4.3.1/dist/css/bootstrap.min.css",
        f"{up}/vendor/fontawesome-free@6.6.0/css/fontawesome.min.css",
        f"{up}/vendor/fontawesome-free@6.6.0/css/solid.min.css",
        f"{up}/vendor/popper.js@1.12.9/dist/umd/popper.min.js",
        f"{up}/images/favicon.ico",  # GX's link is one folder short on validation pages
        f"{up}/images/logo-long.png",
        f"{up}/images/logo-long.png",
    ]
    assert "integrity" not in html and "crossorigin" not in html  # a file:// page has no origin to check
    assert 'href="https://greatexpectations.io"' in html  # links stay links
    make_offline(page, site)
    assert page.read_text() == html  # idempotent


def remote_css_urls(site: Path) -> list[str]:
    """Every ``url()`` in a stylesheet or page of ``site`` that names an internet address."""
    return [
        f"{path.relative_to(site)}: {url}"
        for path in site.rglob("*")
        if path.suffix in {".css", ".html"}
        for url in css_references(path.read_text(encoding="utf-8"))
        if re.match(r"[a-z]+://", url) or url.startswith("//")
    ]


def test_gx_dark_mode_stylesheet_points_at_the_sites_own_logo(tmp_path):
    import importlib.util

    spec = importlib.util.find_spec("great_expectations")
    assert spec is not None and spec.origin is not None
    shipped = Path(spec.origin).parent / "render" / "view" / "static" / "styles" / "data_docs_default_styles.css"
    site = tmp_path / "site"
    (site / "static" / "styles").mkdir(parents=True)
    (site / "static" / "images").mkdir()
    (site / "static" / "images" / "logo-long.png").write_bytes(b"png")
    sheet = site / "static" / "styles" / "data_docs_default_styles.css"
    sheet.write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    assert remote_css_urls(site) == [
        "static/styles/data_docs_default_styles.css:"
        " https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png"
    ]
    data_docs.make_stylesheets_offline(site)
    assert remote_css_urls(site) == []
    assert css_references(sheet.read_text(encoding="utf-8")) == ["../images/logo-long.png"]
    assert (sheet.parent / "../images/logo-long.png").resolve().is_file()


# --- sites built by the real gate -----------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A good run, then a failed run, into one warehouse's docs folder."""
    folder = tmp_path_factory.mktemp("docs") / "w.data_docs"
    validated_run(folder, "run-1-good")
    validated_run(folder, "run-2-failed", change_bp=0.0)
    return folder


@pytest.mark.integration
def test_a_failed_run_is_listed_as_failed_beside_the_last_good_one(site):
    assert index_runs(site / "index.html") == {"run-2-failed": "Failed", "run-1-good": "Success"}
    pages = sorted(p.relative_to(site).parts[3] for p in (site / "validations").rglob("*.html"))
    assert pages == ["run-1-good", "run-2-failed"]  # the failed run added its page; the good one's stays
    assert [p.name for p in (site / "expectations").rglob("*.html")] == ["policy_changes.html"]


@pytest.mark.integration
def test_the_gate_keeps_no_frame_it_validated_passing_or_failing_and_its_docs_still_build(tmp_path):
    import gc
    import weakref

    from liquidity_watch.expectations.gate import Validator
    from liquidity_watch.expectations.staging import stage_policy
    from liquidity_watch.expectations.suites import policy_changes_suite

    held, gates = [], []
    for change_bp in (-25.0, 0.0):  # passes; fails (and runs again for the failing rows' keys)
        gate = Validator(f"run-{change_bp:g}")
        frame = stage_policy(policy_changes(change_bp))
        result = gate.validate(policy_changes_suite(), frame, ["day"])
        held.append(weakref.ref(frame))
        gates.append((gate, result.success))
        del frame
    assert [success for _, success in gates] == [True, False]
    gc.collect()
    assert [ref() is None for ref in held] == [True, True]
    gate = gates[1][0]  # the failing run's page reads its results, not the frame
    assert index_runs(data_docs.build_site(gate.context, tmp_path / "docs", gate.run_id)) == {"run-0": "Failed"}


@pytest.mark.integration
def test_every_asset_of_every_page_resolves_to_a_local_file(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) == 4  # index, one suite, two validations
    assert unresolved_assets(site) == []
    assert remote_css_urls(site) == []  # GX's own stylesheet copy included, though no page loads it
    index = (site / "index.html").read_text()
    assert "static/vendor/jquery@3.7.1/dist/jquery.min.js" in index
    assert (site / "static" / "vendor" / "bootstrap@4.3.1" / "LICENSE").is_file()


@pytest.mark.integration
def test_history_keeps_the_newest_runs_and_always_the_last_good_one(tmp_path):
    folder = tmp_path / "w.data_docs"
    validated_run(folder, "run-1-good", keep_runs=2)
    validated_run(folder, "run-2-failed", change_bp=0.0, keep_runs=2)
    validated_run(folder, "run-3-failed", change_bp=0.0, keep_runs=2)
    index = validated_run(folder, "run-4-failed", change_bp=0.0, keep_runs=2)
    assert index_runs(index) == {"run-4-failed": "Failed", "run-3-failed": "Failed", "run-1-good": "Success"}
    index = validated_run(folder, "run-5-good", keep_runs=2)
    assert index_runs(index) == {"run-5-good": "Success", "run-4-failed": "Failed"}
    kept = {p.relative_to(folder).parts[3] for p in (folder / "validations").rglob("*.html")}
    stored = {p.relative_to(folder).parts[4] for p in (folder / "store" / "validations").rglob("*.json")}
    assert kept == stored == {"run-5-good", "run-4-failed"}  # pruned runs lose their pages and results


# --- in a real browser ----------------------------------------------------------------------

#: Runs in the page after it loads (and its fonts): what a person would see, as JSON on <body>.
PROBE = """
window.addEventListener('load', function () {
  var out = {jquery: typeof window.jQuery === 'function'};
  out.bootstrapTable = out.jquery && typeof jQuery.fn.bootstrapTable === 'function';
  out.bodyFont = getComputedStyle(document.body).fontFamily;
  var icon = document.querySelector('i.fas');
  out.iconFont = icon ? getComputedStyle(icon).fontFamily : null;
  var tables = document.querySelectorAll('table[data-toggle="table"]');
  out.tableRows = Array.prototype.map.call(tables, function (t) { return t.querySelectorAll('tbody tr[data-index]').length; });
  function visible(selector) {
    return Array.prototype.filter.call(document.querySelectorAll(selector), function (e) { return e.offsetParent !== null; }).length;
  }
  function done() { document.body.setAttribute('data-probe', JSON.stringify(out)); }
  document.fonts.load('900 16px "Font Awesome 6 Free"').then(function (faces) {
    out.iconFontLoaded = faces.length > 0 && faces.every(function (f) { return f.status === 'loaded'; });
    if (typeof hideSucceededValidations === 'function') {          // a validation page: "Failed Only"
      out.before = {passed: visible('td .fa-check-circle'), failed: visible('td .fa-times')};
      jQuery.fx.off = true;                                        // no fade: the result is immediate
      hideSucceededValidations();
      out.failedOnly = {passed: visible('td .fa-check-circle'), failed: visible('td .fa-times')};
      done();
    } else if (tables.length && out.bootstrapTable) {             // the index: filter on Status
      jQuery('select.bootstrap-table-filter-control-validation_success').val('Failed').trigger('change');
      setTimeout(function () { out.failedRows = tables[0].querySelectorAll('tbody tr[data-index]').length; done(); }, 1500);
    } else { done(); }
  });
});
"""


@pytest.mark.integration
@needs_chromium
def test_in_a_browser_offline_the_index_lists_runs_icons_show_and_filters_work(site):
    index = probe(site / "index.html", PROBE)
    assert index["jquery"] and index["bootstrapTable"]
    assert "serif" not in index["bodyFont"].replace("sans-serif", "")  # Bootstrap's font stack, not the default
    assert index["iconFont"] == '"Font Awesome 6 Free"' and index["iconFontLoaded"]
    assert index["tableRows"] == [2, 1]  # two validations, one suite
    assert index["failedRows"] == 1  # the Status filter leaves the failed run

    [failed] = (site / "validations").rglob("run-2-failed/*/*.html")
    page = probe(failed, PROBE)
    assert page["iconFontLoaded"] and page["iconFont"] == '"Font Awesome 6 Free"'
    assert page["before"] == {"passed": 8, "failed": 1}  # 9 expectations, the "not 0" one fails
    assert page["failedOnly"] == {"passed": 0, "failed": 1}  # "Failed Only" hides the passing expectations
