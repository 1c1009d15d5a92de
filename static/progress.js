// "From last time" on the mentorship page: tick an open action item off (it is struck
// through; ticking again reopens it).
import { send } from "./api.js";

const list = document.getElementById("open-items");
const status = document.getElementById("items-status");

for (const box of list ? list.querySelectorAll("input.tick") : []) {
  box.addEventListener("change", async () => {
    const row = box.closest("li");
    try {
      await send("PATCH", `/api/action-items/${row.dataset.id}`, { done: box.checked });
      row.classList.toggle("done", box.checked);
      status.textContent = box.checked ? "Marked done." : "Open again.";
    } catch (error) {
      box.checked = !box.checked;
      status.textContent = `Could not save: ${error.message}`;
    }
    status.hidden = false;
  });
}
