// The session page while the refinement pass runs: progress, then reload to show the result.
const box = document.getElementById("refining");
if (box) {
  const id = box.dataset.sessionId;
  const poll = async () => {
    try {
      const response = await fetch(`/api/sessions/${id}/status`, { credentials: "same-origin" });
      if (response.ok) {
        const state = await response.json();
        document.getElementById("refine-progress").value = state.refine_progress;
        document.getElementById("refine-percent").textContent = `${Math.round(state.refine_progress * 100)}%`;
        if (state.refine_status === "done" || state.refine_status === "failed") {
          location.reload();
          return;
        }
      }
    } catch {
      // the server restarting: try again
    }
    setTimeout(poll, 2000);
  };
  setTimeout(poll, 2000);
}
