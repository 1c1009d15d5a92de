// Resources on the mentorship page: keep a link, remove one (saved through the API, then the
// page is drawn again from what was saved).
import { saveAndReload } from "./api.js";

const form = document.getElementById("add-resource");
const status = document.getElementById("resources-status");
const change = (method, url, body) => saveAndReload(status, method, url, body);

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const body = { url: form.elements.url.value };
  if (form.elements.title.value.trim()) body.title = form.elements.title.value;
  change("POST", `/api/mentorships/${form.dataset.mentorshipId}/resources`, body);
});

for (const button of document.querySelectorAll("#resources li.kept button[data-delete]")) {
  button.addEventListener("click", () => change("DELETE", `/api/resources/${button.closest("li").dataset.id}`));
}
