// "From last time" on the mentorship page: tick an open action item off (it is struck
// through; ticking again reopens it).
const list = document.getElementById("open-items");
const status = document.getElementById("items-status");
const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

for (const box of list ? list.querySelectorAll("input.tick") : []) {
  box.addEventListener("change", async () => {
    const row = box.closest("li");
    try {
      const response = await fetch(`/api/action-items/${row.dataset.id}`, {
        method: "PATCH",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify({ done: box.checked }),
      });
      if (!response.ok) throw new Error((await response.json()).error || response.status);
      row.classList.toggle("done", box.checked);
      status.textContent = box.checked ? "Marked done." : "Open again.";
    } catch (error) {
      box.checked = !box.checked;
      status.textContent = `Could not save: ${error.message}`;
    }
    status.hidden = false;
  });
}
