"""The uplink's shorter audio jitter buffer: swapped in on real aiortc receivers, and aiortc's
buffer with it releases each frame one packet later, in sequence order (a tripwire for aiortc
upgrades that rename or change it)."""

from __future__ import annotations

import asyncio

from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterBuffer
from aiortc.mediastreams import AudioStreamTrack
from aiortc.rtp import RtpPacket

from server.calls.jitter import (
    _ATTRIBUTE,
    UPLINK_CAPACITY_PACKETS,
    UPLINK_PREFETCH_PACKETS,
    shorten_audio_buffers,
)


def test_the_uplink_receiver_gets_the_short_buffer() -> None:
    async def negotiate() -> tuple[int, JitterBuffer]:
        browser, server = RTCPeerConnection(), RTCPeerConnection()
        try:
            browser.addTrack(AudioStreamTrack())
            await browser.setLocalDescription(await browser.createOffer())
            await server.setRemoteDescription(browser.localDescription)
            held = shorten_audio_buffers(server)
            receiver = server.getTransceivers()[0].receiver
            return held, getattr(receiver, _ATTRIBUTE)
        finally:
            await browser.close()
            await server.close()

    held, buffer = asyncio.run(negotiate())
    assert held == UPLINK_PREFETCH_PACKETS == 1
    assert isinstance(buffer, JitterBuffer)
    assert buffer.capacity == UPLINK_CAPACITY_PACKETS


def _packet(number: int) -> RtpPacket:
    packet = RtpPacket(payload_type=111, sequence_number=number, timestamp=960 * number)
    packet._data = bytes([number % 256])  # type: ignore[attr-defined]
    return packet


def test_frames_come_out_one_packet_later_in_order() -> None:
    buffer = JitterBuffer(UPLINK_CAPACITY_PACKETS, UPLINK_PREFETCH_PACKETS)
    released: list[tuple[int, int]] = []  # (packet that arrived, frame released)
    for number in (0, 1, 2, 4, 3, 5, 6, 7):  # 3 and 4 arrive swapped
        _, frame = buffer.add(_packet(number))
        if frame is not None:
            released.append((number, frame.timestamp // 960))
    assert released[:2] == [(1, 0), (2, 1)]  # one packet of delay, not four
    assert [f for _, f in released] == [0, 1, 2, 3, 4, 5]  # in order despite the swap


def test_a_lost_packet_stalls_the_stream_for_a_few_packets_only() -> None:
    buffer = JitterBuffer(UPLINK_CAPACITY_PACKETS, UPLINK_PREFETCH_PACKETS)
    released = []
    for number in (*range(0, 10), *range(11, 30)):  # packet 10 never arrives
        _, frame = buffer.add(_packet(number))
        if frame is not None:
            released.append((number, frame.timestamp // 960))
    after = [arrived for arrived, frame in released if frame == 11]
    assert after and after[0] - 11 <= UPLINK_CAPACITY_PACKETS  # not aiortc's 16
