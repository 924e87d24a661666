"""A small EBML (Matroska/WebM) reader for the tests: the tracks of a file and how many blocks
each carries. Enough for what MediaRecorder writes: a Segment and Clusters of unknown size
(live streams), Tracks before the first Cluster, SimpleBlocks in Clusters."""

from __future__ import annotations

from dataclasses import dataclass

EBML = 0x1A45DFA3
SEGMENT = 0x18538067
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_NUMBER = 0xD7
TRACK_TYPE = 0x83
CODEC_ID = 0x86
CLUSTER = 0x1F43B675
SIMPLE_BLOCK = 0xA3
BLOCK_GROUP = 0xA0
BLOCK = 0xA1
# Master elements whose children we read; anything else is skipped by its size.
MASTERS = {SEGMENT, TRACKS, TRACK_ENTRY, CLUSTER, BLOCK_GROUP}
# Elements that may follow an unknown-size element at its parent's level (they end it).
TOP_LEVEL = {
    SEGMENT: {EBML, SEGMENT},
    CLUSTER: {CLUSTER, TRACKS, 0x1C53BB6B, 0x1254C367, 0x1549A966, 0x114D9B74, 0x1941A469},
}

TRACK_TYPES = {1: "video", 2: "audio"}


class EBMLError(ValueError):
    pass


def read_id(data: bytes, pos: int) -> tuple[int, int]:
    """An element ID (its marker bits kept, as the spec writes IDs): (id, next position)."""
    if pos >= len(data):
        raise EBMLError(f"truncated ID at {pos}")
    first = data[pos]
    length = 1
    while length <= 4 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 4 or pos + length > len(data):
        raise EBMLError(f"bad ID at {pos}")
    return int.from_bytes(data[pos : pos + length], "big"), pos + length


def read_size(data: bytes, pos: int) -> tuple[int | None, int]:
    """A data size (None: unknown, all value bits set): (size, next position)."""
    if pos >= len(data):
        raise EBMLError(f"truncated size at {pos}")
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise EBMLError(f"bad size at {pos}")
    value = first & (0xFF >> length)
    for b in data[pos + 1 : pos + length]:
        value = (value << 8) | b
    if value == (1 << (7 * length)) - 1:
        return None, pos + length
    return value, pos + length


@dataclass
class Track:
    number: int
    type: str  # "video", "audio" or the TrackType number
    codec: str
    blocks: int = 0


def _block_track(payload: bytes) -> int:
    number, _ = read_size(payload, 0)  # the track number is a vint, like a size
    if number is None:
        raise EBMLError("bad block track number")
    return number


def tracks(data: bytes) -> list[Track]:
    """The file's tracks (from Tracks/TrackEntry), each with the count of its blocks."""
    if read_id(data, 0)[0] != EBML:
        raise EBMLError("not an EBML file")
    found: dict[int, Track] = {}
    blocks: dict[int, int] = {}

    def walk(pos: int, end: int, parent: int | None) -> int:
        while pos < end:
            start = pos
            eid, pos = read_id(data, pos)
            if parent in TOP_LEVEL and eid in TOP_LEVEL[parent] and end == len(data):
                return start  # an unknown-size parent ends where a sibling of it begins
            size, pos = read_size(data, pos)
            stop = len(data) if size is None else pos + size
            if stop > len(data):
                stop = len(data)  # the last cluster may be cut short; read what is there
            if eid in MASTERS:
                if eid == TRACK_ENTRY:
                    entry: dict[int, bytes] = {}
                    p = pos
                    while p < stop:
                        cid, p = read_id(data, p)
                        csize, p = read_size(data, p)
                        if csize is None:
                            raise EBMLError("unknown size inside TrackEntry")
                        entry[cid] = data[p : p + csize]
                        p += csize
                    number = int.from_bytes(entry.get(TRACK_NUMBER, b"\0"), "big")
                    kind = int.from_bytes(entry.get(TRACK_TYPE, b"\0"), "big")
                    found[number] = Track(
                        number,
                        TRACK_TYPES.get(kind, str(kind)),
                        entry.get(CODEC_ID, b"").decode("ascii", "replace"),
                    )
                    pos = stop
                else:
                    pos = walk(pos, stop, eid)
            else:
                if eid in (SIMPLE_BLOCK, BLOCK) and stop > pos:
                    n = _block_track(data[pos:stop])
                    blocks[n] = blocks.get(n, 0) + 1
                pos = stop
        return pos

    walk(0, len(data), None)
    for number, count in blocks.items():
        if number in found:
            found[number].blocks = count
    return sorted(found.values(), key=lambda t: t.number)
