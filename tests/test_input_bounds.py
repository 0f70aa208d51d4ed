"""Input size is bounded: a file over the limit is refused before it is read; parsing streams.

Without the bounds, a 32 MB CSV in a snapshot folder drives a run to 4.7 GB peak RSS and
268 s before it is refused.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tracemalloc
from pathlib import Path

import pytest

from liquidity_watch.sources.ddp import parse_h41_csv
from liquidity_watch.sources.errors import ParseError
from liquidity_watch.sources.fred import parse_fredgraph_csv
from liquidity_watch.sources.nyfed import parse_reference_rates
from liquidity_watch.sources.snapshot import read_snapshot
from liquidity_watch.sources.values import MAX_INPUT_BYTES, BoundedTextFile, InputTooLarge, _BoundedHashingReader


def _sparse(path: Path, size: int) -> None:
    """A file of ``size`` bytes that takes no disk space (a header, then a hole)."""
    with path.open("wb") as f:
        f.write(b"observation_date,WRESBAL\n")
        f.truncate(size)


def test_a_32_mb_snapshot_file_is_refused_before_it_is_read(tmp_path: Path, snapshot_dir: Path):
    folder = tmp_path / "snapshot"
    shutil.copytree(snapshot_dir, folder)
    _sparse(folder / "WRESBAL.csv", 32 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(
            ParseError,
            match=r"snapshot: WRESBAL.csv is 33,554,432 bytes, over the 16,777,216-byte limit for one input; refused before reading it \(file://",
        ):
            read_snapshot(folder)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the 32 MB were never read into memory: reading them would take at least 32 MB. tracemalloc counts
    # every thread of the process, and a worker's background threads (Prefect, GX imports) can allocate
    # several MB meanwhile, so the bound is half the file rather than a few MB
    assert peak < 16 * 1024 * 1024


def test_the_limit_is_enforced_while_streaming_whatever_the_size_said():
    reader = _BoundedHashingReader(io.BytesIO(b"x" * 1000), limit=100, what="WRESBAL.csv")
    with pytest.raises(InputTooLarge, match=r"WRESBAL\.csv is 1,000 bytes, over the 100-byte limit"):
        reader.read(1000)


def test_a_streamed_file_is_hashed_exactly_and_knows_its_last_byte(tmp_path: Path):
    path = tmp_path / "SOFR.csv"
    body = b"\xef\xbb\xbfobservation_date,SOFR\r\n2019-09-17,5.25\r\n"
    path.write_bytes(body)
    with BoundedTextFile(path) as file:
        assert file.text is not None
        lines = list(file.text)
    assert lines == ["observation_date,SOFR\r\n", "2019-09-17,5.25\r\n"]
    assert file.sha256 == hashlib.sha256(body).hexdigest() and file.n_bytes == len(body) and file.ends_with_newline


def test_snapshot_payloads_keep_the_hash_and_size_of_their_file_bytes(snapshot_dir: Path):
    [walcl] = [p for p in read_snapshot(snapshot_dir) if p.series == ["WALCL"]]
    body = (snapshot_dir / "WALCL.csv").read_bytes()
    assert walcl.sha256 == hashlib.sha256(body).hexdigest() and walcl.n_bytes == len(body)


@pytest.mark.parametrize(
    "parse",
    [
        lambda b: parse_fredgraph_csv(b, url="u"),
        lambda b: parse_h41_csv(b, url="u"),
        lambda b: parse_reference_rates(b, url="u"),
    ],
)
def test_every_parser_refuses_a_body_over_the_limit_before_parsing_it(parse):
    body = b" " * (MAX_INPUT_BYTES + 1)
    with pytest.raises(ParseError, match="the body is 16,777,217 bytes, over the 16,777,216-byte limit"):
        parse(body)
