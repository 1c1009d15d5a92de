// The last minute of this person's own microphone, kept in the page, so that audio the
// network lost on its way to the server can be sent again (the server asks with a "gap"
// message: docs/signaling.md). 16 kHz 16-bit mono from an AudioWorklet (mic-worklet.js),
// about 2 MB. Times are on the session clock: the audio clock is mapped to the page's clock
// by when its blocks arrive (the earliest arrivals of the last few seconds: the least
// delayed), and the page's clock to the session clock by the server's welcome. The server
// aligns the copy on the audio it did receive, so tens of milliseconds off do no harm.
// A muted microphone gives silence here too.

export const RATE = 16000;
export const KEEP_S = 60;
const OFFSET_WINDOW_BLOCKS = 50; // 5 s

export class MicBuffer {
  constructor() {
    this.context = null;
    this.node = null;
    this.source = null;
    this.blocks = []; // {frame, pcm: Int16Array}, oldest first
    this.clock = null; // {at: performance.now(), s: session seconds}
    this.offsetMs = null; // page time (ms) of audio-clock time 0
    this.windowMin = Infinity;
    this.windowCount = 0;
    this.error = null;
  }

  setClock(sessionS) {
    this.clock = { at: performance.now(), s: sessionS };
  }

  async start(stream) {
    try {
      if (!this.context) await this.build(RATE);
      this.source?.disconnect();
      try {
        this.source = this.context.createMediaStreamSource(stream);
      } catch (error) {
        // (Some browsers cannot feed a 16 kHz context from a 48 kHz microphone.)
        await this.context.close();
        await this.build(undefined);
        this.source = this.context.createMediaStreamSource(stream);
      }
      this.source.connect(this.node);
      if (this.context.state !== "running") await this.context.resume();
      this.error = null;
    } catch (error) {
      this.error = error;
      console.warn("the microphone copy for lost audio is off:", error);
    }
  }

  async build(sampleRate) {
    this.context = new AudioContext(sampleRate ? { sampleRate } : {});
    this.blocks = [];
    this.offsetMs = null;
    await this.context.audioWorklet.addModule("/static/mic-worklet.js");
    this.node = new AudioWorkletNode(this.context, "tandem-mic-tap", {
      channelCount: 1,
      channelCountMode: "explicit",
    });
    this.node.port.onmessage = (event) => this.onBlock(event.data);
    // Connected to the output so the browser runs it; it writes nothing there (silence).
    this.node.connect(this.context.destination);
  }

  resume() {
    // Without a user gesture (a reload rejoining the call) the context may start suspended.
    if (this.context && this.context.state === "suspended") this.context.resume().catch(() => {});
  }

  stop() {
    // The person left the call (or it ended): nothing of what they said stays in the page.
    this.source?.disconnect();
    this.source = null;
    this.blocks = [];
  }

  onBlock({ frame, pcm }) {
    const offset = performance.now() - ((frame + pcm.length) / RATE) * 1000;
    this.windowMin = Math.min(this.windowMin, offset);
    if (this.offsetMs === null || offset < this.offsetMs) this.offsetMs = offset;
    if (++this.windowCount >= OFFSET_WINDOW_BLOCKS) {
      // Follow the clocks' drift: the least delayed block of the last window.
      this.offsetMs = this.windowMin;
      this.windowMin = Infinity;
      this.windowCount = 0;
    }
    this.blocks.push({ frame, pcm });
    while (this.blocks.length > (KEEP_S * RATE) / pcm.length) this.blocks.shift();
  }

  sessionTime(frame) {
    return this.clock.s + (this.offsetMs + (frame / RATE) * 1000 - this.clock.at) / 1000;
  }

  /** Session time just after the newest sample kept (null: nothing kept yet). */
  endS() {
    const last = this.blocks[this.blocks.length - 1];
    if (!last || !this.clock || this.offsetMs === null) return null;
    return this.sessionTime(last.frame + last.pcm.length);
  }

  /** Resolves once the buffer reaches session time `untilS`, or after `timeoutMs`. */
  async until(untilS, timeoutMs) {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const end = this.endS();
      if (end !== null && end >= untilS) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  /** The audio kept between session times fromS and toS: {startS, pcm} or null. */
  read(fromS, toS) {
    if (!this.blocks.length || !this.clock || this.offsetMs === null) return null;
    const first = Math.max(fromS, this.sessionTime(this.blocks[0].frame));
    const last = Math.min(toS, this.endS());
    if (last <= first) return null;
    const pcm = new Int16Array(Math.round((last - first) * RATE));
    for (const block of this.blocks) {
      const at = Math.round((this.sessionTime(block.frame) - first) * RATE);
      if (at >= pcm.length || at + block.pcm.length <= 0) continue;
      const skip = Math.max(0, -at);
      const part = block.pcm.subarray(skip, Math.min(block.pcm.length, pcm.length - at));
      pcm.set(part, at + skip);
    }
    return { startS: first, pcm };
  }
}

/** Base64 of 16-bit samples, little-endian (as every browser's typed arrays are). */
export function base64Pcm(pcm) {
  const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}
