// Resources on the mentorship page: keep a link, remove one (saved through the API, then the
// page is drawn again from what was saved).
const form = document.getElementById("add-resource");
const status = document.getElementById("resources-status");
const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

async function send(method, url, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let reason = String(response.status);
    try {
      reason = (await response.json()).error || reason;
    } catch {
      // keep the status
    }
    status.textContent = `Could not save: ${reason}`;
    status.hidden = false;
    return;
  }
  location.reload();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const body = { url: form.elements.url.value };
  if (form.elements.title.value.trim()) body.title = form.elements.title.value;
  send("POST", `/api/mentorships/${form.dataset.mentorshipId}/resources`, body);
});

for (const button of document.querySelectorAll("#resources li.kept button[data-delete]")) {
  button.addEventListener("click", () => send("DELETE", `/api/resources/${button.closest("li").dataset.id}`));
}
