// Goals on the mentorship page: add one, mark it reached or dropped, reopen, delete. Each
// change is saved through the API, then the page is drawn again from what was saved.
import { saveAndReload } from "./api.js";

const form = document.getElementById("add-goal");
const status = document.getElementById("goals-status");
const change = (method, url, body) => saveAndReload(status, method, url, body);

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const body = { title: form.elements.title.value };
  if (form.elements.due_date.value) body.due_date = form.elements.due_date.value;
  change("POST", `/api/mentorships/${form.dataset.mentorshipId}/goals`, body);
});

for (const goal of document.querySelectorAll("#goals > li.goal")) {
  for (const button of goal.querySelectorAll("button[data-status]")) {
    button.addEventListener("click", () =>
      change("PATCH", `/api/goals/${goal.dataset.id}`, { status: button.dataset.status }),
    );
  }
  const remove = goal.querySelector("button[data-delete]");
  if (remove) {
    remove.addEventListener("click", () => {
      const title = goal.querySelector(".goal-title").textContent;
      if (confirm(`Delete the goal "${title}"? Its action items stay.`)) {
        change("DELETE", `/api/goals/${goal.dataset.id}`);
      }
    });
  }
}
