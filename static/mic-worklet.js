// The AudioWorklet half of static/mic-buffer.js: hands the microphone's samples, as 16-bit
// PCM at 16 kHz, to the page in 100 ms blocks, each with the 16 kHz frame number of its first
// sample (frame / 16000 is the audio context's time). A context running at another rate
// (browsers that cannot capture at 16 kHz) is brought down here by averaging each output
// sample's span of input: crude, but enough for speech recognition, all this copy is for.

const RATE = 16000;
const BLOCK = 1600; // 100 ms

class MicTap extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / RATE; // input samples per output sample
    this.block = new Int16Array(BLOCK);
    this.filled = 0;
    this.blockFrame = 0;
    this.out = -1; // the output sample being averaged (other rates)
    this.sum = 0;
    this.count = 0;
  }

  push(value, frame) {
    if (this.filled === 0) this.blockFrame = frame;
    const clipped = Math.max(-1, Math.min(1, value));
    this.block[this.filled++] = clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff;
    if (this.filled === BLOCK) {
      this.port.postMessage({ frame: this.blockFrame, pcm: this.block }, [this.block.buffer]);
      this.block = new Int16Array(BLOCK);
      this.filled = 0;
    }
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true; // nothing connected (yet): keep the node alive
    for (let i = 0; i < channel.length; i++) {
      if (this.step === 1) {
        this.push(channel[i], currentFrame + i);
        continue;
      }
      const out = Math.floor((currentFrame + i) / this.step);
      if (out !== this.out) {
        if (this.count) this.push(this.sum / this.count, this.out);
        this.out = out;
        this.sum = 0;
        this.count = 0;
      }
      this.sum += channel[i];
      this.count += 1;
    }
    return true;
  }
}

registerProcessor("tandem-mic-tap", MicTap);
