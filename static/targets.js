// A trainer or admin sets the targets one pair is held to. Only values that differ from the
// program's are saved for the pair; the rest follow the program's (null clears an override).
import { saveAndReload, send } from "/static/api.js";

const form = document.getElementById("targets-form");
const status = document.getElementById("targets-status");
const url = `/api/mentorships/${form.dataset.mentorshipId}/targets`;
const KEYS = ["mentee_min_share", "max_monologue_s", "question_gap_s", "max_interruptions"];

function entered(key) {
  const number = Number(form.elements[key].value);
  return key === "mentee_min_share" ? number / 100 : number;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const { program } = await send("GET", url);
    const body = {};
    for (const key of KEYS) {
      const value = entered(key);
      body[key] = Math.abs(value - program[key]) < 1e-9 ? null : value;
    }
    await saveAndReload(status, "PUT", url, body);
  } catch (error) {
    status.textContent = `Could not save: ${error.message}`;
    status.hidden = false;
  }
});

document.getElementById("targets-reset")?.addEventListener("click", () =>
  saveAndReload(status, "PUT", url, Object.fromEntries(KEYS.map((k) => [k, null]))),
);
