// Home and mentorship pages: keep each mentorship's call box current, so that when the other
// person starts a call, "Join the call" appears here without a reload.
const boxes = document.querySelectorAll(".call-box[data-mentorship-id]");

function presence(call) {
  const others = call.in_call.filter((p) => !p.me).map((p) => p.name);
  if (others.length) return `${others.join(" and ")} ${others.length === 1 ? "is" : "are"} in the call`;
  if (call.in_call.length) return "You are in this call in another tab";
  return "The call is open; nobody is in it yet";
}

function show(calls) {
  for (const box of boxes) {
    const call = calls.find((c) => String(c.mentorship_id) === box.dataset.mentorshipId);
    box.querySelector(".call-open").hidden = !call;
    box.querySelector(".call-start").hidden = Boolean(call);
    if (call) {
      box.querySelector(".join").href = call.join_url;
      box.querySelector(".call-who").textContent = presence(call);
    }
  }
}

async function poll() {
  try {
    const response = await fetch("/api/calls", { credentials: "same-origin" });
    if (response.ok) show(await response.json());
  } catch {
    // the server restarting: try again
  }
  setTimeout(poll, document.hidden ? 15000 : 4000);
}

if (boxes.length) setTimeout(poll, 4000);
