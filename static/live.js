// Live captions, the balance meter and private cues on the call page.
// Listens to the messages call.js receives ("tandem-message" events).

const root = document.getElementById("call-root");
const $ = (id) => document.getElementById(id);
const myRole = root?.dataset.myRole;
const names = myRole === "mentor"
  ? { mentor: root.dataset.me, mentee: root.dataset.otherName }
  : { mentor: root?.dataset.otherName, mentee: root?.dataset.me };
const lines = new Map(); // caption id → element
const KEEP_LINES = 4;

function caption(message) {
  let line = lines.get(message.id);
  if (!line) {
    line = document.createElement("p");
    line.className = `caption ${message.speaker}`;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = `${message.name || message.speaker}: `;
    const text = document.createElement("span");
    text.className = "words";
    line.append(who, text);
    $("captions").append(line);
    lines.set(message.id, line);
  }
  if (line.classList.contains("final") && !message.final) return; // a late partial
  line.querySelector(".words").textContent = message.text;
  line.classList.toggle("partial", !message.final);
  line.classList.toggle("final", message.final);
  while ($("captions").children.length > KEEP_LINES) {
    const oldest = $("captions").firstElementChild;
    for (const [id, el] of lines) if (el === oldest) lines.delete(id);
    oldest.remove();
  }
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
  const hidden = $("captions").hidden = !$("captions").hidden;
  event.currentTarget.setAttribute("aria-pressed", String(hidden));
  event.currentTarget.textContent = hidden ? "Show captions" : "Hide captions";
});
