"""A shorter audio jitter buffer on the server's uplink receivers.

aiortc's RTCRtpReceiver holds 4 audio packets before it hands one to the decoder (its
``JitterBuffer(capacity=16, prefetch=4)``, built in the constructor, no option to change it).
That suits playing audio out; Tandem only transcribes it, and with 60 ms packets the wait put
a quarter second onto every caption. Packet order does not depend on it (the buffer releases
frames by sequence number whatever the prefetch), so the uplink receivers get a buffer that
holds one packet, the least it can (a frame is known complete when the next one arrives),
and gives up on a lost packet sooner (see UPLINK_CAPACITY_PACKETS).

aiortc has no public way to do this, so the buffer is swapped on the receiver's private
attribute; if a future aiortc renames it, nothing is swapped, a warning is logged, and the
audio tap is told the default delay (tests/test_jitter.py fails first, on the upgrade).
"""

from __future__ import annotations

import logging

from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterBuffer

from media.live.tap import RECEIVE_DELAY_PACKETS

log = logging.getLogger("tandem.jitter")

UPLINK_PREFETCH_PACKETS = 1
#: aiortc's buffer waits for a lost packet until 16 more have come, and never catches up
#: after (it releases one frame per packet): a loss left captions 16 packets (~1 s) behind
#: for the rest of the call. Holding 4 bounds that at 3 packets and still reorders packets
#: up to 3 late (180 ms at 60 ms packets); a later one counts as lost.
UPLINK_CAPACITY_PACKETS = 4
_ATTRIBUTE = "_RTCRtpReceiver__jitter_buffer"


def shorten_audio_buffers(pc: RTCPeerConnection) -> int:
    """Swap the audio receivers' jitter buffers (call after setRemoteDescription, before
    media flows); returns how many packets a received frame now waits for."""
    held = UPLINK_PREFETCH_PACKETS
    for transceiver in pc.getTransceivers():
        if transceiver.kind != "audio":
            continue
        receiver = transceiver.receiver
        current = getattr(receiver, _ATTRIBUTE, None)
        if not isinstance(current, JitterBuffer):
            log.warning("aiortc's receiver has no %s: audio keeps its 4-packet buffer", _ATTRIBUTE)
            held = RECEIVE_DELAY_PACKETS
            continue
        setattr(
            receiver, _ATTRIBUTE, JitterBuffer(UPLINK_CAPACITY_PACKETS, UPLINK_PREFETCH_PACKETS)
        )
    return held
