// The review page's player: click (or Enter on) a transcript line to hear the call from
// there; the line being heard is highlighted and kept in view; play/pause and speed.
const audio = document.getElementById("audio");
const lines = [...document.querySelectorAll("#transcript > li")];
const starts = lines.map((li) => Number(li.dataset.start));
const button = document.getElementById("play");
const position = document.getElementById("position");
let playing = null;

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

function lineAt(t) {
  // The last line that started by t (lines are in time order).
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= t + 0.05) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

function highlight() {
  const index = lineAt(audio.currentTime);
  const line = index >= 0 ? lines[index] : null;
  if (line === playing) return;
  if (playing) playing.classList.remove("playing");
  playing = line;
  if (line) {
    line.classList.add("playing");
    line.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
}

export function playFrom(seconds) {
  audio.currentTime = Math.max(0, seconds);
  audio.play();
}

for (const line of lines) {
  const go = () => playFrom(Number(line.dataset.start));
  line.addEventListener("click", (event) => {
    if (window.getSelection().toString()) return; // selecting text, not asking to listen
    if (event.target.closest("a")) return;
    go();
  });
  line.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      go();
    }
  });
}

button.addEventListener("click", () => (audio.paused ? audio.play() : audio.pause()));
document.getElementById("speed").addEventListener("change", (event) => {
  audio.playbackRate = Number(event.target.value);
});
audio.addEventListener("play", () => {
  button.textContent = "Pause";
  button.setAttribute("aria-label", "Pause");
});
audio.addEventListener("pause", () => {
  button.textContent = "Play";
  button.setAttribute("aria-label", "Play");
});
audio.addEventListener("timeupdate", () => {
  position.textContent = clock(audio.currentTime);
  highlight();
});
audio.addEventListener("seeked", highlight);
// Elsewhere on the page (an action item's moment) asks to hear a time.
document.addEventListener("tandem-seek", (event) => playFrom(event.detail));
