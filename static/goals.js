// Goals on the mentorship page: add one, mark it reached or dropped, reopen, delete. Each
// change is saved through the API, then the page is drawn again from what was saved.
const form = document.getElementById("add-goal");
const status = document.getElementById("goals-status");
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
    throw new Error(reason);
  }
}

async function change(method, url, body) {
  try {
    await send(method, url, body);
    location.reload();
  } catch (error) {
    status.textContent = `Could not save: ${error.message}`;
    status.hidden = false;
  }
}

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
