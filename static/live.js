// Live captions, the balance meter and private cues on the call page.
// Listens to the messages call.js receives ("tandem-message" events).
//
// Captions: one line per speaker turn, in the order people spoke (by start on the session
// clock). Each settled sentence is its own span inside the line and stays; the tentative words
// of the utterance still being spoken sit in one trailing span that its final replaces. A
// final with no text settles an utterance that turned out to hold no words.

const root = document.getElementById("call-root");
const $ = (id) => document.getElementById(id);
const myRole = root?.dataset.myRole;
const names = myRole === "mentor"
  ? { mentor: root.dataset.me, mentee: root.dataset.otherName }
  : { mentor: root?.dataset.otherName, mentee: root?.dataset.me };
const panel = $("captions");
const lineOf = new Map(); // caption id → line element
const settled = new Set(); // caption ids whose final has come (late partials are dropped)
const KEEP_LINES = 300; // the session page has the whole transcript afterwards
const SAME_TURN_S = 2.0; // a speaker's next utterance this soon after the last continues its line

const num = (value) => Number.parseFloat(value);

function nearBottom() {
  return panel.scrollHeight - panel.scrollTop - panel.clientHeight < 48;
}

function lineBefore(start) {
  // The line a caption starting at `start` follows: the last one that started no later (a
  // caption for audio put back after a network fault arrives after later ones).
  let found = null;
  for (const line of panel.querySelectorAll(".caption")) {
    if (num(line.dataset.start) <= start) found = line;
    else break;
  }
  return found;
}

function newLine(message) {
  const line = document.createElement("p");
  line.className = `caption ${message.speaker}`;
  line.dataset.speaker = message.speaker;
  line.dataset.start = String(message.start ?? 0);
  line.dataset.end = String(message.end ?? message.start ?? 0);
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = `${message.name || names[message.speaker] || message.speaker}: `;
  const words = document.createElement("span");
  words.className = "words";
  line.append(who, words);
  // In speaking order: before the first line that started later.
  const start = num(line.dataset.start);
  const later = [...panel.querySelectorAll(".caption")].find((el) => num(el.dataset.start) > start);
  panel.insertBefore(line, later || null);
  return line;
}

function lineFor(message) {
  let line = lineOf.get(message.id);
  if (line && line.isConnected) return line;
  const start = num(message.start ?? 0);
  const previous = lineBefore(start);
  if (previous && previous.dataset.speaker === message.speaker && start - num(previous.dataset.end) < SAME_TURN_S) {
    line = previous; // the same person still talking: keep their turn together
  } else {
    line = newLine(message);
  }
  lineOf.set(message.id, line);
  return line;
}

function insertByStart(container, span) {
  const start = num(span.dataset.start);
  const later = [...container.children].find(
    (el) => el.classList.contains("partial") || num(el.dataset.start) > start,
  );
  container.insertBefore(span, later || null);
}

function spanFor(container, cls, id, key) {
  return [...container.children].find((el) => el.classList.contains(cls) && el.dataset[key] === id);
}

function caption(message) {
  if (!panel) return;
  const follow = nearBottom();
  if (!message.final) {
    if (settled.has(message.id) || !message.text) return; // a late partial
    const line = lineFor(message);
    const words = line.querySelector(".words");
    let span = spanFor(words, "partial", message.id, "id");
    if (!span) {
      span = document.createElement("span");
      span.className = "partial";
      span.dataset.id = message.id;
      span.dataset.start = String(message.start ?? 0);
      words.append(span);
    }
    span.dataset.end = String(message.end ?? message.start ?? 0);
    span.textContent = `${message.text} `; // spans sit side by side: keep words apart
    line.dataset.end = String(Math.max(num(line.dataset.end), num(span.dataset.end)));
    line.classList.add("speaking");
  } else {
    settled.add(message.id);
    let line = lineOf.get(message.id);
    if (line && !line.isConnected) line = null; // scrolled out of the kept lines
    if (!line && message.text) line = lineFor(message);
    if (!line) return;
    const words = line.querySelector(".words");
    spanFor(words, "partial", message.id, "id")?.remove();
    if (message.text) {
      const key = String(message.utterance_id ?? `${message.id}#${message.part ?? 0}`);
      let span = spanFor(words, "final", key, "key");
      if (!span) {
        span = document.createElement("span");
        span.className = "final";
        span.dataset.key = key;
        span.dataset.id = message.id;
        span.dataset.start = String(message.start ?? 0);
        span.dataset.end = String(message.end ?? message.start ?? 0);
        insertByStart(words, span);
      }
      span.textContent = `${message.text} `;
      line.dataset.end = String(Math.max(num(line.dataset.end), num(span.dataset.end)));
    }
    if (!words.querySelector(".partial")) line.classList.remove("speaking");
    if (!words.children.length) {
      line.remove(); // nothing was said after all
      lineOf.delete(message.id);
    }
  }
  while (panel.querySelectorAll(".caption").length > KEEP_LINES) panel.querySelector(".caption").remove();
  if (follow) panel.scrollTop = panel.scrollHeight;
}

function bar(id, textId, shares) {
  const mentor = Math.round((shares.mentor || 0) * 100);
  const mentee = Math.round((shares.mentee || 0) * 100);
  const el = $(id);
  el.querySelector(".mentor").style.width = `${mentor}%`;
  el.querySelector(".mentee").style.width = `${mentee}%`;
  $(textId).textContent = mentor + mentee
    ? `${names.mentor} ${mentor}% · ${names.mentee} ${mentee}%`
    : "no talk yet";
}

function meter(message) {
  bar("bar-window", "text-window", message.window);
  bar("bar-overall", "text-overall", message.overall);
  $("meter").dataset.at = message.at;
}

function cue(message) {
  const box = document.createElement("div");
  box.className = "cue";
  box.setAttribute("role", "alert");
  const text = document.createElement("p");
  text.textContent = message.message;
  const dismiss = document.createElement("button");
  dismiss.type = "button";
  dismiss.className = "secondary";
  dismiss.textContent = "Dismiss";
  dismiss.addEventListener("click", () => {
    const ws = window.tandemCall?.ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "dismiss-cue", id: message.id }));
    box.remove();
  });
  box.append(text, dismiss);
  $("cues").append(box);
  setTimeout(() => box.remove(), 45000);
}

document.addEventListener("tandem-message", (event) => {
  const message = event.detail;
  if (message.type === "caption") caption(message);
  else if (message.type === "meter") meter(message);
  else if (message.type === "cue") cue(message);
  else if (message.type === "welcome" && !message.transcription) $("transcribing").textContent = "Not transcribing";
});

$("toggle-captions")?.addEventListener("click", (event) => {
  const hidden = (panel.hidden = !panel.hidden);
  event.currentTarget.setAttribute("aria-pressed", String(hidden));
  event.currentTarget.textContent = hidden ? "Show captions" : "Hide captions";
});
