"""The sample ring keeps the newest samples, in order, across wrap-around."""

from __future__ import annotations

import numpy as np

from media.live.ring import SampleRing


def test_reads_back_in_order_across_wraps() -> None:
    ring = SampleRing(100)
    written = np.arange(0, 1000, dtype=np.float32)
    for i in range(0, 1000, 37):
        ring.write(written[i : i + 37])
    assert ring.end == 1000 and ring.start == 900
    assert np.array_equal(ring.read(900, 1000), written[900:1000])
    assert np.array_equal(ring.read(950, 975), written[950:975])
    assert np.array_equal(ring.read(0, 920), written[900:920])  # older samples are gone
    assert ring.read(1000, 1100).size == 0


def test_a_write_larger_than_the_ring_keeps_its_tail() -> None:
    ring = SampleRing(10)
    ring.write(np.arange(25, dtype=np.float32))
    assert ring.end == 25
    assert np.array_equal(ring.read(15, 25), np.arange(15, 25, dtype=np.float32))


def test_silence_advances_the_clock() -> None:
    ring = SampleRing(10)
    ring.write(np.ones(5, dtype=np.float32))
    ring.write_silence(30)
    assert ring.end == 35
    assert np.array_equal(ring.read(25, 35), np.zeros(10, dtype=np.float32))
