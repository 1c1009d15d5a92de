// Action items on the session page: tick off, edit (text, owner, due date), add, delete.
// Every change goes through the JSON API; the list on screen is redrawn from its answer, so
// what a person sees is what was saved.
import { clock, send } from "./api.js";

const list = document.getElementById("items");

function say(text) {
  const status = document.getElementById("items-status");
  status.textContent = text;
  status.hidden = !text;
}

function ownerName(owner) {
  const names = JSON.parse(list.dataset.names || "{}");
  return owner === "both" ? "Both" : names[owner] || owner;
}

function dueText(item) {
  if (item.due_date && item.due) return `${item.due} (${item.due_date})`;
  return item.due_date || item.due || "";
}

// Scroll to the line where it was said, and play it from there when the call was recorded.
function showMoment(seconds) {
  const lines = [...document.querySelectorAll("#transcript > li")];
  const line = lines.filter((li) => Number(li.dataset.start) <= seconds + 0.05).pop() || lines[0];
  if (line) line.scrollIntoView({ block: "center" });
  if (document.getElementById("audio")) {
    document.dispatchEvent(new CustomEvent("tandem-seek", { detail: seconds }));
  }
}

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

function ownerSelect(value) {
  const select = el("select", { name: "owner" });
  for (const owner of ["mentor", "mentee", "both"]) {
    select.append(el("option", { value: owner, textContent: ownerName(owner), selected: owner === value }));
  }
  return select;
}

function itemRow(item) {
  const li = el("li", { className: "item" + (item.done ? " done" : "") });
  li.dataset.id = item.id;
  const tick = el("input", { type: "checkbox", checked: item.done, className: "tick" });
  tick.setAttribute("aria-label", `Done: ${item.action}`);
  tick.addEventListener("change", () => save(item.id, { done: tick.checked }));
  const text = el("span", { className: "action", textContent: item.action });
  const owner = el("span", { className: "owner", textContent: ownerName(item.owner) });
  const parts = [tick, owner, text];
  const due = dueText(item);
  if (due) parts.push(el("span", { className: "due", textContent: `due ${due}` }));
  const serves = item.goal_id ? goalTitle(item.goal_id) : null;
  if (serves) parts.push(el("span", { className: "goal-tag", textContent: `Goal: ${serves}` }));
  if (item.origin !== "added") {
    const moment = el("a", { className: "time", href: "#transcript", textContent: clock(item.start) });
    moment.title = "Where this was said";
    moment.addEventListener("click", (event) => {
      event.preventDefault();
      showMoment(item.start);
    });
    parts.push(moment);
  }
  const tools = el("span", { className: "tools" });
  const edit = el("button", { type: "button", className: "secondary small", textContent: "Edit" });
  edit.addEventListener("click", () => li.replaceWith(editRow(item)));
  const remove = el("button", { type: "button", className: "danger small", textContent: "Delete" });
  remove.addEventListener("click", async () => {
    if (!confirm(`Delete "${item.action}"?`)) return;
    try {
      await send("DELETE", `/api/action-items/${item.id}`);
      li.remove();
      say("");
      empty();
    } catch (error) {
      say(`Could not delete: ${error.message}`);
    }
  });
  tools.append(edit, remove);
  li.append(...parts, tools);
  return li;
}

function goalSelect(value) {
  const goals = JSON.parse(list.dataset.goals || "[]");
  if (!goals.length) return null;
  const select = el("select", { name: "goal_id" });
  select.setAttribute("aria-label", "Goal");
  select.append(el("option", { value: "", textContent: "No goal" }));
  for (const goal of goals) {
    select.append(el("option", { value: String(goal.id), textContent: goal.title, selected: goal.id === value }));
  }
  return select;
}

function goalTitle(id) {
  const goal = JSON.parse(list.dataset.goals || "[]").find((g) => g.id === id);
  return goal ? goal.title : null;
}

function fields(item) {
  const action = el("input", { name: "action", value: item ? item.action : "", required: true, maxLength: 500, size: 40 });
  action.setAttribute("aria-label", "What to do");
  action.placeholder = "What to do";
  const owner = ownerSelect(item ? item.owner : "mentee");
  owner.setAttribute("aria-label", "Who");
  const due = el("input", { type: "date", name: "due_date", value: item && item.due_date ? item.due_date : "" });
  due.setAttribute("aria-label", "Due date");
  return { action, owner, due };
}

function editRow(item) {
  const row = el("li", { className: "editing" });
  row.dataset.id = item.id;
  const form = el("form", { className: "item" });
  const { action, owner, due } = fields(item);
  const goal = goalSelect(item.goal_id);
  const saveButton = el("button", { type: "submit", textContent: "Save" });
  const cancel = el("button", { type: "button", className: "secondary", textContent: "Cancel" });
  cancel.addEventListener("click", () => row.replaceWith(itemRow(item)));
  form.append(action, owner, due, ...(goal ? [goal] : []), saveButton, cancel);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const change = { action: action.value, owner: owner.value };
    if ((item.due_date || "") !== due.value) change.due_date = due.value || null;
    if (goal) change.goal_id = goal.value ? Number(goal.value) : null;
    try {
      const saved = await send("PATCH", `/api/action-items/${item.id}`, change);
      row.replaceWith(itemRow(saved));
      say("Saved.");
    } catch (error) {
      say(`Could not save: ${error.message}`);
    }
  });
  row.append(form);
  queueMicrotask(() => action.focus());
  return row;
}

async function save(id, change) {
  try {
    const saved = await send("PATCH", `/api/action-items/${id}`, change);
    const row = list.querySelector(`li[data-id="${id}"]`);
    if (row) row.replaceWith(itemRow(saved));
    say("");
  } catch (error) {
    say(`Could not save: ${error.message}`);
  }
}

function empty() {
  const none = document.getElementById("items-empty");
  if (none) none.hidden = list.children.length > 0;
}

async function load() {
  const response = await fetch(`/api/sessions/${list.dataset.sessionId}/action-items`, { credentials: "same-origin" });
  if (!response.ok) return;
  const { action_items: items } = await response.json();
  list.replaceChildren(...items.map(itemRow));
  empty();
}

const adder = document.getElementById("add-item");
if (list && adder) {
  const { action, owner, due } = fields(null);
  adder.prepend(action, owner, due);
  adder.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const body = { action: action.value, owner: owner.value };
      if (due.value) body.due_date = due.value;
      const saved = await send("POST", `/api/sessions/${list.dataset.sessionId}/action-items`, body);
      list.append(itemRow(saved));
      action.value = "";
      due.value = "";
      say("Added.");
      empty();
    } catch (error) {
      say(`Could not add: ${error.message}`);
    }
  });
  load();
}
