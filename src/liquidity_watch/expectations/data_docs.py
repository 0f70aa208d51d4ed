"""Great Expectations Data Docs: one site per warehouse, a bounded history of runs, opens offline.

A site lives in one folder (``var/liquidity.data_docs/`` for ``var/liquidity.duckdb``)::

    index.html          every kept run's validations (newest first) and the suites
    expectations/       one page per suite
    validations/        one page per suite per run
    static/             GX's own images and styles, and vendor/: the CSS, JavaScript and
                        fonts the pages use (shipped in ``data_docs_assets/``, with licences)
    store/              the persistent GX stores the pages are built from (JSON)

Each run adds its validation results to ``store/`` under its run id (the index's "Run Name"),
so a failed run's validation shows as failed beside the earlier, passing ones; nothing a run
writes replaces another run's pages. The history is bounded: the newest ``KEEP_RUNS`` runs are
kept, and the newest run whose validations all passed is always kept too.

GX's page templates load Bootstrap, jQuery, bootstrap-table, Font Awesome and more from
CDNs. Every page is rewritten to load the same files (byte-identical: GX's integrity hashes
match) from ``static/vendor/``, so the index lists validations and suites, status icons show
and filters work without network. See docs/quality.md for how this was checked in a browser.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from liquidity_watch.resources import package_path

logger = logging.getLogger(__name__)

#: How many runs the index lists (with their pages and stored results); older ones are pruned.
#: The newest run whose validations all passed is kept even when it is older.
KEEP_RUNS = 30

SITE_NAME = "liquidity_watch"
VALIDATIONS_STORE = "liquidity_watch_validation_history"
SUITES_STORE = "liquidity_watch_suites"

#: Where a page's CDN assets live in ``data_docs_assets/`` (and ``static/vendor/`` of a site).
#: Two references are served by a sibling file: the dark theme by its minified build, and
#: Font Awesome's ``all.min.css`` by its core and solid styles (every icon GX uses is solid).
CDN_ASSETS: dict[str, tuple[str, ...]] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap@4.3.1/dist/css/bootstrap.min.css",
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap@4.3.1/dist/js/bootstrap.min.js",
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery@3.7.1/dist/jquery.min.js",),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js@1.12.9/dist/umd/popper.min.js",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table@1.19.1/dist/bootstrap-table.min.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table@1.19.1/dist/bootstrap-table.min.js",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker@1.9.0/dist/css/bootstrap-datepicker.min.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker@1.9.0/dist/js/bootstrap-datepicker.min.js",
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.min.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free@6.6.0/css/fontawesome.min.css",
        "fontawesome-free@6.6.0/css/solid.min.css",
    ),
}

#: GX's logo is loaded from its web-assets bucket; GX ships the same images in ``static/images``.
_GX_WEB_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
_GX_IMAGES = {"logo-long.png": "logo-long.png", "full_logo_dark.png": "logo-long.png"}

#: Charting libraries GX loads on every page for profiling graphs; no page of ours draws one.
_UNUSED = ("https://cdn.jsdelivr.net/npm/vega",)

_TAG = re.compile(r"<(?P<name>script|link|img)\b(?P<attrs>[^>]*)>(?P<close>\s*</script>)?", re.IGNORECASE)
_REFERENCE = re.compile(r'\b(?P<attr>src|href)="(?P<url>[^"]*)"', re.IGNORECASE)
_CSS_URL = re.compile(r"url\((?P<quote>['\"]?)(?P<url>[^'\")]+)(?P=quote)\)")
_CROSS_ORIGIN = re.compile(r'\s+(?:integrity|crossorigin)="[^"]*"', re.IGNORECASE)


def assets_dir() -> Path:
    """The vendor files shipped in the package (``expectations/data_docs_assets``)."""
    return package_path("expectations", "data_docs_assets")


def ephemeral_context(gx: Any) -> Any:
    """An in-memory GX context without GX's default temporary docs site.

    ``gx.get_context(mode="ephemeral")`` names a temporary folder for a docs site we never
    build and logs "Created temporary directory ... for ephemeral docs site" on every run.
    """
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults

    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False))
    return gx.get_context(mode="ephemeral", project_config=config)


@contextlib.contextmanager
def _site_lock(folder: Path) -> Iterator[None]:
    """One build at a time per site (two warehouses may share ``LW_DATA_DOCS_DIR``)."""
    with (folder / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_site(context: Any, folder: Path, run_name: str, keep_runs: int = KEEP_RUNS) -> Path:
    """Add this context's validation results and suites to the site in ``folder``; return index.html.

    ``run_name`` (the pipeline's run id) groups a run's validations in the index. Only this
    run's pages, the suites and the index are rendered; earlier runs' pages stay as they are,
    except those of runs pruned from the history, which GX removes with their results.
    """
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    with _site_lock(folder):
        history, suites = _stores(context, folder)
        built = _add_results(context, history, run_name) + _add_suites(context, suites)
        prune(history, keep_runs)
        if SITE_NAME not in (context.variables.data_docs_sites or {}):
            context.add_data_docs_site(site_name=SITE_NAME, site_config=_site_config(folder))
        started = time.time() - 2  # file times may be coarse; rewriting a page twice changes nothing
        context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=built)
        install_assets(folder)
        make_stylesheets_offline(folder)
        for page in folder.rglob("*.html"):  # the pages GX just wrote; earlier ones were rewritten then
            if not page.is_relative_to(folder / "static") and page.stat().st_mtime >= started:
                make_offline(page, folder)
    return folder / "index.html"


def _stores(context: Any, folder: Path) -> tuple[Any, Any]:
    """The site's persistent validation-results and suites stores (added to the context once)."""

    def store(name: str, class_name: str, sub: str) -> Any:
        if name in context.stores:
            return context.stores[name]
        backend = {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder / "store" / sub)}
        return context.add_store(name, {"class_name": class_name, "store_backend": backend})

    return (
        store(VALIDATIONS_STORE, "ValidationResultsStore", "validations"),
        store(SUITES_STORE, "ExpectationsStore", "expectations"),
    )


def _add_results(context: Any, history: Any, run_name: str) -> list[Any]:
    """Copy the context's validation results into ``history``, named after the run."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    keys = []
    source = context.validation_results_store
    for key in source.list_keys():
        result = source.get(key)
        run_id = RunIdentifier(run_name=run_name, run_time=key.run_id.run_time)
        named = ValidationResultIdentifier(key.expectation_suite_identifier, run_id, key.batch_identifier)
        result.meta["run_id"] = run_id
        history.set(named, result)
        keys.append(named)
    return keys


def _add_suites(context: Any, suites: Any) -> list[Any]:
    """Copy the context's suites (this run's definitions replace earlier ones of the same name)."""
    keys = []
    source = context.expectations_store
    for key in source.list_keys():
        suites.set(key, source.get(key))
        keys.append(key)
    return keys


def prune(history: Any, keep_runs: int) -> list[str]:
    """Drop all but the newest ``keep_runs`` runs, keeping the newest fully passing run; return dropped runs."""
    runs: dict[str, list[Any]] = {}
    for key in history.list_keys():
        runs.setdefault(key.run_id.run_name, []).append(key)
    newest_first = sorted(runs, key=lambda name: max(k.run_id.run_time for k in runs[name]), reverse=True)
    keep = set(newest_first[:keep_runs])
    if not any(_passed(history, runs[name]) for name in newest_first[:keep_runs]):
        last_good = next((name for name in newest_first if _passed(history, runs[name])), None)
        if last_good is not None:
            keep.add(last_good)
    dropped = [name for name in newest_first if name not in keep]
    for name in dropped:
        for key in runs[name]:
            history.remove_key(key)
    return dropped


def _passed(history: Any, keys: list[Any]) -> bool:
    return all(history.get(key).success for key in keys)


def _site_config(folder: Path) -> dict[str, Any]:
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,  # GX's tutorial buttons link to its website
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder)},
        "site_section_builders": {
            "expectations": {"source_store_name": SUITES_STORE},
            "validations": {"source_store_name": VALIDATIONS_STORE},
            "profiling": "None",
        },
    }


def install_assets(folder: Path) -> None:
    """Copy the vendor files (and their licences) into ``static/vendor`` of the site, if changed."""
    source = assets_dir()
    target = folder / "static" / "vendor"
    for path in source.rglob("*"):
        if not path.is_file():
            continue
        copy = target / path.relative_to(source)
        if copy.exists() and copy.stat().st_size == path.stat().st_size:
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)


def _relative(site: Path, page: Path, *parts: str) -> str:
    return Path(os.path.relpath(site.joinpath(*parts), page.parent)).as_posix()


def make_offline(page: Path, site: Path) -> None:
    """Point every asset of ``page`` at the site's own copy (idempotent).

    CDN scripts and stylesheets become ``static/vendor/...`` (their integrity and
    crossorigin attributes go: a page opened from disk has no origin to check against),
    GX's web logo becomes ``static/images/logo-long.png``, the unused charting libraries
    are dropped, and local ``static/`` references are made relative to the page (GX's
    favicon link on validation pages is one folder short). An unknown CDN asset is dropped
    with a warning.
    """
    html = page.read_text(encoding="utf-8")

    def tag(match: re.Match[str]) -> str:
        attrs = match["attrs"]
        reference = _REFERENCE.search(attrs)
        if reference is None:
            return match[0]
        url = reference["url"]
        if url.startswith(_GX_WEB_ASSETS):
            image = _GX_IMAGES.get(url[len(_GX_WEB_ASSETS) :].split("?")[0], "logo-long.png")
            return match[0].replace(url, _relative(site, page, "static", "images", image))
        if url.startswith(("http://", "https://")):
            if url.startswith(_UNUSED):
                return ""
            local = CDN_ASSETS.get(url)
            if local is None:
                logger.warning("Data Docs: dropped an asset with no local copy: %s (%s)", url, page.name)
                return ""
            attrs = _CROSS_ORIGIN.sub("", attrs)
            copies = []
            for path in local:
                pointed = attrs.replace(url, _relative(site, page, "static", "vendor", *path.split("/")))
                copies.append(f"<{match['name']}{pointed}>{match['close'] or ''}")
            return "\n".join(copies)
        if "static/" in url and not url.startswith(("#", "data:")):
            fixed = _relative(site, page, "static", *url.split("static/", 1)[1].split("/"))
            return match[0].replace(f'"{url}"', f'"{fixed}"')
        return match[0]

    rewritten = _local_css_urls(_TAG.sub(tag, html), site, page)
    if rewritten != html:
        page.write_text(rewritten, encoding="utf-8")


def _local_css_urls(text: str, site: Path, file: Path) -> str:
    """``text`` (a page or a stylesheet in ``site``) with GX's web logos as ``url()`` of its local images."""

    def css_url(match: re.Match[str]) -> str:
        url = match["url"]
        if url.startswith(_GX_WEB_ASSETS):
            image = _GX_IMAGES.get(url[len(_GX_WEB_ASSETS) :].split("?")[0], "logo-long.png")
            return f"url('{_relative(site, file, 'static', 'images', image)}')"
        return match[0]

    return _CSS_URL.sub(css_url, text)


def make_stylesheets_offline(site: Path) -> None:
    """Point GX's own stylesheets in ``static/styles`` at local images (idempotent).

    GX copies its default styles there; their dark-mode rule loads the logo from GX's web
    bucket. The pages inline these styles (and ``make_offline`` rewrites them there), but the
    copy stays in the site, so it is rewritten too: no file of the site names an internet address.
    """
    for sheet in (site / "static" / "styles").glob("*.css"):
        css = sheet.read_text(encoding="utf-8")
        rewritten = _local_css_urls(css, site, sheet)
        if rewritten != css:
            sheet.write_text(rewritten, encoding="utf-8")


def asset_references(html: str) -> list[str]:
    """Every asset a page loads: script, stylesheet, icon and image sources, and CSS ``url()`` values.

    Links (``<a href>``) are navigation, not assets, and are not listed.
    """
    found = []
    for match in _TAG.finditer(html):
        reference = _REFERENCE.search(match["attrs"])
        if reference is not None:
            found.append(reference["url"])
    found.extend(m["url"] for m in _CSS_URL.finditer(html))
    return [url for url in found if not url.startswith(("data:", "#"))]


def css_references(css: str) -> list[str]:
    """The ``url()`` values of a stylesheet (fonts, images), without inline ``data:`` ones."""
    return [m["url"] for m in _CSS_URL.finditer(css) if not m["url"].startswith("data:")]
