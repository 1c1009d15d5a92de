// Bringing in a meeting: send the chosen files with upload progress, then follow the
// processing on the server, then open the new session's page.
const form = document.getElementById("upload");
const box = document.getElementById("progress-box");
const bar = document.getElementById("progress");
const percent = document.getElementById("percent");
const phase = document.getElementById("phase");
const problem = document.getElementById("upload-error");
const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

function kind() {
  return form.querySelector("input[name=kind]:checked").value;
}

function showKind() {
  for (const part of form.querySelectorAll(".for-kind")) {
    const active = part.dataset.kind === kind();
    part.hidden = !active;
    for (const input of part.querySelectorAll("input, select")) input.disabled = !active;
  }
}

function fail(message) {
  problem.textContent = message;
  problem.hidden = false;
  box.hidden = true;
  form.querySelector("#send").disabled = false;
}

function show(fraction, text) {
  box.hidden = false;
  phase.textContent = text;
  bar.value = fraction;
  percent.textContent = `${Math.round(fraction * 100)}%`;
}

async function follow(url) {
  for (;;) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok) {
      const state = await response.json();
      if (state.status === "done") {
        show(1, "Done. Opening the session…");
        location.href = state.session_url;
        return;
      }
      if (state.status === "failed") {
        fail(`Processing failed: ${state.error}. Nothing was saved.`);
        return;
      }
      show(state.progress, state.status === "queued" ? "Waiting for the transcriber…" : "Transcribing…");
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

for (const radio of form.querySelectorAll("input[name=kind]")) radio.addEventListener("change", showKind);
showKind();

form.addEventListener("submit", (event) => {
  event.preventDefault();
  problem.hidden = true;
  const files = [...form.querySelectorAll(".for-kind:not([hidden]) input[type=file]")];
  const empty = files.find((input) => !input.files.length);
  if (empty) {
    fail(`Choose a file for “${form.querySelector(`label[for=${empty.id}]`).textContent}”.`);
    return;
  }
  const data = new FormData(form);
  const request = new XMLHttpRequest();
  request.open("POST", `/api/mentorships/${form.dataset.mentorshipId}/uploads`);
  request.setRequestHeader("X-CSRF-Token", csrf());
  request.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) show(e.loaded / e.total, "Uploading…");
  });
  request.addEventListener("load", () => {
    let body = {};
    try {
      body = JSON.parse(request.responseText);
    } catch {
      // not JSON
    }
    if (request.status === 202) {
      show(0, "Waiting for the transcriber…");
      follow(body.status_url);
    } else {
      fail(body.error || `The upload was refused (${request.status}).`);
    }
  });
  request.addEventListener("error", () => fail("The upload did not reach the server; try again."));
  form.querySelector("#send").disabled = true;
  show(0, "Uploading…");
  request.send(data);
});
