"""The spool the workers put the unordered run files' parts in: every part comes back whole
and in place, whatever order the processes wrote them in, with or without copy_file_range."""

from __future__ import annotations

import copy
import dataclasses
import errno
import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sciatica_pipeline.model.frozen import pickled_as_call
from sciatica_pipeline.plugins.exporter import RunFile, RunPart
from sciatica_pipeline.run.runfiles import RunFiles
from sciatica_pipeline.run.spool import Spool, Spooled, copy_spooled


def _assemble(folder: Path, parts: list[tuple[str, bytes]]) -> bytes:
    spool = Spool(folder)
    spooled = [spool.add("fmt", path, data) for path, data in parts]
    target = folder / "out"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o600)
    sources: dict[str, int] = {}
    try:
        for part in spooled:
            if part.spool not in sources:
                sources[part.spool] = os.open(folder / part.spool, os.O_RDONLY)
            copy_spooled(sources[part.spool], fd, part.offset, part.length)
    finally:
        os.close(fd)
        for source in sources.values():
            os.close(source)
    return target.read_bytes()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a.ndjson", "b.ndjson"]), st.binary(max_size=3000)),
        max_size=30,
    )
)
def test_parts_come_back_in_the_order_they_are_copied(
    tmp_path_factory: pytest.TempPathFactory, parts: list[tuple[str, bytes]]
) -> None:
    folder = tmp_path_factory.mktemp("spool")
    assert _assemble(folder, parts) == b"".join(data for _, data in parts)


def test_without_copy_file_range_the_bytes_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = [("a", os.urandom(3_000_000)), ("b", b"second\n"), ("a", b"third\n")]
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    assert _assemble(tmp_path, parts) == b"".join(data for _, data in parts)


def test_a_file_system_that_refuses_copy_file_range_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> int:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    parts = [("a", b"x" * 5000), ("a", b"y" * 7)]
    assert _assemble(tmp_path, parts) == b"x" * 5000 + b"y" * 7


def test_spool_files_are_private(tmp_path: Path) -> None:
    spooled = Spool(tmp_path).add("fhir", "Patient.ndjson", b"{}\n")
    assert (tmp_path / spooled.spool).stat().st_mode & 0o777 == 0o600


def test_a_disk_error_while_copying_is_not_taken_for_a_missing_feature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> int:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "copy_file_range", broken, raising=False)
    with pytest.raises(OSError, match="Input/output error"):
        _assemble(tmp_path, [("a", b"x" * 10)])


def test_a_spool_file_that_ends_early_is_a_named_error(tmp_path: Path) -> None:
    spooled = Spool(tmp_path).add("csv", "assignments.csv", b"abc")
    source = os.open(tmp_path / spooled.spool, os.O_RDONLY)
    target = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with pytest.raises(OSError, match="ended 7 bytes early") as caught:
            copy_spooled(source, target, 0, 10)
        assert caught.value.errno == errno.EIO
    finally:
        os.close(source)
        os.close(target)


def test_a_closed_spool_starts_new_files(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    first = spool.add("csv", "assignments.csv", b"one\n")
    spool.close()
    second = spool.add("csv", "assignments.csv", b"two\n")
    assert second.spool != first.spool
    assert (tmp_path / first.spool).read_bytes() == b"one\n"
    assert (tmp_path / second.spool).read_bytes() == b"two\n"
    spool.close()


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["1-0.part", "2-0.part", None]), st.binary(max_size=200), st.booleans()
        ),
        max_size=40,
    )
)
def test_the_run_file_has_every_part_in_order_with_one_copy_a_range(
    tmp_path_factory: pytest.TempPathFactory, parts: list[tuple[str | None, bytes, bool]]
) -> None:
    # Two workers' spool files, and parts that come as bytes (None). Each worker's parts
    # follow one another in its file, so a run of them from one worker is one range to copy;
    # but a patient whose parts were spooled and then refused (False) leaves a gap there.
    out = tmp_path_factory.mktemp("run")
    files = RunFiles(out, {"fhir": [RunFile("Patient.ndjson", header=b"H", footer=b"F")]})
    ends: dict[str, int] = {}
    copies: list[int] = []
    expected_copies, pending = 0, None

    def counted(source: int, target: int, offset: int, length: int) -> None:
        copies.append(length)
        copy_spooled(source, target, offset, length)

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("sciatica_pipeline.run.runfiles.copy_spooled", counted)
            for spool, data, accepted in parts:
                if spool is None:
                    if accepted:
                        files.add("fhir", [RunPart("Patient.ndjson", data)])
                        pending = None
                    continue
                with (files.spool_folder / spool).open("ab") as handle:
                    handle.write(data)
                offset = ends.get(spool, 0)
                ends[spool] = offset + len(data)
                if accepted:
                    files.add("fhir", [Spooled("Patient.ndjson", spool, offset, len(data))])
                    expected_copies += pending != (spool, offset)
                    pending = (spool, offset + len(data))
            files.finish()
    except BaseException:
        files.abort()
        raise
    written = (out / "_run" / "fhir" / "Patient.ndjson").read_bytes()
    assert written == b"H" + b"".join(data for _, data, accepted in parts if accepted) + b"F"
    # One copy for each run of accepted parts that follow one another in a spool file.
    assert len(copies) == expected_copies


def test_parts_and_outcomes_pickle_as_calls_with_their_fields() -> None:
    from sciatica_pipeline.run.roster import Outcome

    part = RunPart("gateway.csv", b"line\r\n", "2027-01-01T09:00:00Z")
    spooled = Spooled("Patient.ndjson", "12-0.part", 5, 7)
    outcome = Outcome(
        "P-1", 3, None, ("no sms: why",), (), (("sms", (part,)), ("fhir", (spooled,)))
    )
    for item in (part, spooled, outcome):
        assert type(item).__reduce__(item)[0] is type(item)
        assert pickle.loads(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)) == item


@dataclasses.dataclass(frozen=True, slots=True)
class Tagged(RunPart):
    """A plugin's own kind of part."""

    note: str = ""


def test_a_subclass_of_a_part_keeps_its_type_and_fields() -> None:
    for item in (Tagged("a.ndjson", b"{}\n", "k", "mine"), RunPart("a.ndjson", b"{}\n")):
        back = pickle.loads(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(back) is type(item)
        assert back == item
        assert copy.deepcopy(item) == item


@pytest.mark.parametrize(
    "fields",
    [
        {"a": (int, dataclasses.field(kw_only=True)), "b": (int, 0)},
        {"a": (int, 0), "b": (int, dataclasses.field(init=False, default=0))},
        {"a": (int, 0)},
    ],
)
def test_a_class_whose_init_is_not_its_fields_is_refused(fields: dict[str, Any]) -> None:
    made = dataclasses.make_dataclass(
        "Made", [(name, kind, value) for name, (kind, value) in fields.items()], frozen=True
    )
    with pytest.raises(TypeError, match="cannot be pickled as a call"):
        pickled_as_call(made)


def test_a_class_with_post_init_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Counted:
        a: int
        b: int

        def __post_init__(self) -> None:
            object.__setattr__(self, "a", self.a + 1)

    with pytest.raises(TypeError, match="__post_init__"):
        pickled_as_call(Counted)
