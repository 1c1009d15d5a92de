// What the pages' modules share: JSON API calls with the page's CSRF token (a refusal
// becomes an Error carrying the server's reason), and times as a person reads them.
export const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

export async function send(method, url, body) {
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
      // not JSON: keep the status
    }
    throw new Error(reason);
  }
  return response.status === 204 ? null : response.json();
}

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

// Save, then draw the page again from what was saved; a refusal is said in `status`.
export async function saveAndReload(status, method, url, body) {
  try {
    await send(method, url, body);
    location.reload();
  } catch (error) {
    status.textContent = `Could not save: ${error.message}`;
    status.hidden = false;
  }
}
