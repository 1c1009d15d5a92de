"""Chunks joined before a writer thread gets them: in order, nothing lost, gaps kept."""

from __future__ import annotations

import numpy as np

from media.live.gather import Gather


def _chunk(start: int, n: int) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.float32)


def test_consecutive_chunks_go_on_in_pieces_and_a_gap_hands_on_first() -> None:
    got: list[tuple[int, np.ndarray]] = []
    gather = Gather(lambda start, samples: got.append((start, samples)), every_samples=1000)
    for index in range(0, 2240, 320):  # seven 320-sample frames, as the tap emits them
        gather.add(index, _chunk(index, 320))
    # 4 frames (1280 samples) make a piece; the rest waits.
    assert [(s, len(a)) for s, a in got] == [(0, 1280)]
    assert gather.held_samples == 960  # three frames, short of a piece
    gather.add(5000, _chunk(5000, 100))  # a jump: what was gathered goes on first, whole
    assert [(s, len(a)) for s, a in got] == [(0, 1280), (1280, 960)]
    gather.flush()
    gather.flush()  # nothing left: no empty piece
    assert [(s, len(a)) for s, a in got] == [(0, 1280), (1280, 960), (5000, 100)]
    joined = np.concatenate([a for _, a in got[:2]])
    assert np.array_equal(joined, np.arange(0, 2240, dtype=np.float32))  # in order, exact


def test_a_piece_is_its_own_copy() -> None:
    got: list[np.ndarray] = []
    gather = Gather(lambda _start, samples: got.append(samples), every_samples=10)
    frame = np.ones(10, dtype=np.float32)
    gather.add(0, frame)
    frame[:] = 7  # the caller reuses its buffer
    assert got and float(got[0].max()) == 1.0
