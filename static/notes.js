// Coaching notes on the session page: the trainer writes one (on the session or a moment,
// mm:ss); the mentor replies to a note. Saved through the API, then the page is drawn again.
import { saveAndReload } from "./api.js";

const box = document.getElementById("notes");
const form = document.getElementById("note-form");
const status = document.getElementById("notes-status");
let replyTo = null;

for (const button of box.querySelectorAll("button[data-reply]")) {
  button.addEventListener("click", () => {
    replyTo = Number(button.dataset.reply);
    form.hidden = false;
    form.querySelector("textarea").focus();
  });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const body = { text: form.elements.text.value };
  const at = form.elements.at ? form.elements.at.value.trim() : "";
  if (at) {
    const [minutes, seconds] = at.split(":").map(Number);
    body.at = minutes * 60 + seconds;
  }
  if (replyTo !== null) body.reply_to = replyTo;
  saveAndReload(status, "POST", `/api/sessions/${box.dataset.sessionId}/notes`, body);
});
