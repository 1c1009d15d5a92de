// The session review page: the player (click or Enter on a line to hear the call from there;
// the line heard is highlighted and kept in view; play/pause and speed), the timeline (click
// to hear or see that moment), and find-in-transcript (highlights, n of m, Enter for next).
import { clock } from "./api.js";

const audio = document.getElementById("audio");
const lines = [...document.querySelectorAll("#transcript > li.speech")];
const starts = lines.map((li) => Number(li.dataset.start));
let playing = null;

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

function mark(line) {
  if (line === playing) return;
  if (playing) playing.classList.remove("playing");
  playing = line;
  if (line) {
    line.classList.add("playing");
    line.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
}

function highlight() {
  const index = lineAt(audio.currentTime);
  mark(index >= 0 ? lines[index] : null);
}

// Hear the moment (recorded calls) or at least see it.
function goTo(seconds) {
  if (audio) {
    audio.currentTime = Math.max(0, seconds);
    audio.play();
    return;
  }
  const index = lineAt(seconds);
  const line = lines[Math.max(0, index)];
  if (line) {
    mark(line);
    line.scrollIntoView({ block: "center" });
  }
}

if (audio) {
  const button = document.getElementById("play");
  const position = document.getElementById("position");
  for (const line of lines) {
    const go = () => goTo(Number(line.dataset.start));
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
}
// Elsewhere on the page (an action item's moment) asks for a time.
document.addEventListener("tandem-seek", (event) => goTo(event.detail));

// -- the timeline ------------------------------------------------------------------------
const figure = document.getElementById("timeline");
if (figure) {
  const duration = Number(figure.dataset.duration);
  for (const tick of figure.querySelectorAll(".ticks span")) tick.style.left = `${tick.dataset.left}%`;
  if (lines.length) {
    figure.classList.add("clickable");
    for (const lane of figure.querySelectorAll("svg.lane")) {
      lane.addEventListener("click", (event) => {
        const box = lane.getBoundingClientRect();
        goTo(((event.clientX - box.left) / box.width) * duration);
      });
    }
  }
}

// -- find in transcript ------------------------------------------------------------------
const find = document.getElementById("find");
if (find) {
  const count = document.getElementById("find-count");
  const texts = [...document.querySelectorAll("#transcript > li .text")];
  let found = [];
  let current = -1;
  const supported = typeof CSS !== "undefined" && CSS.highlights && typeof Highlight !== "undefined";

  function ranges(term) {
    const out = [];
    const needle = term.toLocaleLowerCase();
    for (const text of texts) {
      // Walk the text nodes (unsure words are spans of their own) as one string.
      const nodes = [];
      const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
      let whole = "";
      while (walker.nextNode()) {
        nodes.push([walker.currentNode, whole.length]);
        whole += walker.currentNode.data;
      }
      const hay = whole.toLocaleLowerCase();
      let at = hay.indexOf(needle);
      while (at !== -1) {
        const range = document.createRange();
        const place = (offset) => {
          let chosen = nodes[0];
          for (const entry of nodes) if (entry[1] <= offset) chosen = entry;
          return [chosen[0], Math.min(offset - chosen[1], chosen[0].data.length)];
        };
        range.setStart(...place(at));
        range.setEnd(...place(at + needle.length));
        out.push(range);
        at = hay.indexOf(needle, at + needle.length);
      }
    }
    return out;
  }

  function show() {
    if (!supported) return;
    CSS.highlights.set("find", new Highlight(...found));
    if (current >= 0) {
      CSS.highlights.set("find-current", new Highlight(found[current]));
      found[current].startContainer.parentElement.closest("li").scrollIntoView({ block: "center" });
    } else {
      CSS.highlights.delete("find-current");
    }
  }

  find.addEventListener("input", () => {
    const term = find.value.trim();
    found = term.length >= 2 ? ranges(term) : [];
    current = found.length ? 0 : -1;
    count.textContent = term.length < 2 ? "" : found.length ? `1 of ${found.length}` : "not found";
    show();
  });
  find.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !found.length) return;
    event.preventDefault();
    current = (current + (event.shiftKey ? found.length - 1 : 1)) % found.length;
    count.textContent = `${current + 1} of ${found.length}`;
    show();
  });
}

// -- a link to a moment (search results, links shared, "From last time"): #t=SECONDS --------
function openMoment() {
  const asked = /^#t=(\d+(?:\.\d+)?)$/.exec(location.hash);
  if (!asked) return;
  const seconds = Number(asked[1]);
  const index = lineAt(seconds);
  const line = lines[Math.max(0, index)];
  if (line) {
    mark(line);
    line.scrollIntoView({ block: "center" });
  }
  if (audio) {
    const seek = () => {
      audio.currentTime = seconds;
      audio.play().catch(() => {}); // the browser may want a click first; the line is ready
    };
    if (audio.readyState >= 1) seek();
    else audio.addEventListener("loadedmetadata", seek, { once: true });
  }
}
openMoment();
// A link to a moment on this same page (a coaching note, an action item) changes the hash.
window.addEventListener("hashchange", openMoment);

// Everything above is wired: the page is ready to use (bench review times this mark).
performance.mark("tandem-review-ready");
