// The call page: consent and device preview, then the call itself.
// Media: peer-to-peer audio+video with the other person, plus an audio-only "uplink" to the
// Tandem server (for transcription). In relay mode a "relay" connection to the server carries
// our camera up and the other person's audio and video down. Signaling: one WebSocket,
// protocol v1 (docs/signaling.md). No inline script: the page's CSP forbids it.
//
// Network faults: a connection that fails, or stays disconnected for a few seconds, is made
// again (uplink and relay: a new connection and offer, which the server takes in place of the
// old one; peer to peer: an ICE restart by the initiator), tried again until it connects,
// with "Reconnecting…" shown meanwhile. The server then asks for the audio it lost ("gap"),
// which this page sends from its own copy of the microphone (mic-buffer.js).

import { MicBuffer, RATE, base64Pcm } from "/static/mic-buffer.js";

const root = document.getElementById("call-root");
const sessionId = root.dataset.sessionId;
const otherName = root.dataset.otherName;
const $ = (id) => document.getElementById(id);
const joinedKey = `tandem-joined-${sessionId}`;
// Chromium says "disconnected" some 5 s after packets stop; a few more seconds and the
// connection is made again (it often comes back by itself after a short drop).
const DISCONNECTED_GRACE_MS = 3000;
// A connection made again that has not connected by then is made once more: one made while
// the network is down connects only when its checks happen to be retried after it is back.
const RECONNECT_TIMEOUT_MS = 8000;
const FIRST_CONNECT_TIMEOUT_MS = 20000;
const GAP_CHUNK_SAMPLES = 2 * RATE; // per gap-audio message (the server takes up to 4 s)
// The call socket of this page's own server; with several Tandem servers (nodes) the page is
// given the socket of the one holding the call (docs/deploy.md), and a node that does not
// hold it answers "elsewhere" with the address of the one that does.
const homeSocket = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/sessions/${sessionId}`;

const state = {
  stream: null,
  ws: null,
  welcome: null,
  mode: "p2p",
  peer: null,
  initiator: false,
  uplink: null,
  relay: null,
  p2p: null,
  pendingCandidates: [],
  leaving: false,
  retries: 0,
  iceServers: [],
  loggedOut: null, // why the server ended this login's call (logout, deactivation)
  offers: [], // {leg, pc} of offers the server has yet to answer, oldest first
  down: new Set(), // legs (uplink, relay, p2p) disconnected or failed right now
  reconnects: { uplink: 0, relay: 0, p2p: 0 },
  offerErrors: 0, // offers refused in a row (each retry waits longer)
  gapsAnswered: 0,
  mic: new MicBuffer(),
  socketUrl: root.dataset.wsUrl || homeSocket, // where the call is held, as far as we know
  elsewhere: null, // the address an "elsewhere" answer gave
  hops: 0, // "elsewhere" answers followed since the last welcome
};
window.tandemCall = state; // for the end-to-end tests: connection states, nothing secret

function status(text) {
  $("status").textContent = text;
}

// -- devices and consent ----------------------------------------------------------------------
async function openMedia() {
  const camera = $("camera").value;
  const microphone = $("microphone").value;
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({
      audio: microphone ? { deviceId: { exact: microphone } } : true,
      video: camera ? { deviceId: { exact: camera }, width: 640, height: 480 } : { width: 640, height: 480 },
    });
  } catch (error) {
    $("consent-error").textContent =
      `Tandem cannot use your camera or microphone (${error.name}). Allow them in the browser and reload.`;
    throw error;
  }
  $("preview").srcObject = state.stream;
  $("local").srcObject = state.stream;
  state.mic.start(state.stream);
  $("preview").hidden = false;
  $("preview-off").hidden = true;
  $("devices").hidden = false;
  await listDevices();
}

function releaseMedia() {
  // Camera and microphone are let go the moment the call is over for this person.
  state.stream?.getTracks().forEach((t) => t.stop());
  state.stream = null;
  state.mic.stop();
  for (const id of ["preview", "local", "remote"]) $(id).srcObject = null;
  $("preview").hidden = true;
  $("preview-off").hidden = false;
  $("devices").hidden = true;
}

async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [kind, select] of [["videoinput", $("camera")], ["audioinput", $("microphone")]]) {
    const current = state.stream?.getTracks().find((t) => t.kind === (kind === "videoinput" ? "video" : "audio"));
    const chosen = current?.getSettings().deviceId;
    select.replaceChildren(
      ...devices.filter((d) => d.kind === kind).map((d, i) => {
        const option = new Option(d.label || `${kind === "videoinput" ? "Camera" : "Microphone"} ${i + 1}`, d.deviceId);
        option.selected = d.deviceId === chosen;
        return option;
      }),
    );
  }
}

// -- signaling ------------------------------------------------------------------------------
function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

function connect(url = state.socketUrl) {
  const ws = new WebSocket(url);
  state.ws = ws;
  ws.addEventListener("open", () => {
    state.retries = 0;
    const join = { type: "join", v: 1, record: $("record").checked };
    if ($("language")?.value) join.language = $("language").value;
    send(join);
  });
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "p2p") {
      // In order: an ICE restart's offer before the candidates that follow it.
      state.p2pChain = (state.p2pChain || Promise.resolve())
        .then(() => handle(message))
        .catch((error) => console.warn("peer-to-peer negotiation:", error));
    } else {
      handle(message);
    }
  });
  ws.addEventListener("close", (event) => {
    if (state.ws !== ws) return;
    closeConnections();
    if (event.code === 4001) return finish("Opened in another tab", "This call continues in your other tab or window.");
    if (event.code === 4002 || event.code === 4410) return finish("The session has ended", "");
    if (event.code === 4401 && state.loggedOut) return finish("You are no longer logged in", state.loggedOut);
    if (event.code === 4401 || event.code === 4403) return finish("You cannot join this call", "Log in as the mentor or the mentee of this mentorship.");
    if (state.leaving) return;
    if (event.code === 4307 && state.elsewhere && state.hops < 5) {
      // Another server holds the call: join it there.
      state.socketUrl = state.elsewhere;
      state.elsewhere = null;
      state.hops += 1;
      return connect();
    }
    status("Connection to the server lost. Reconnecting…");
    const delay = Math.min(10000, 500 * 2 ** state.retries++);
    // Every other try asks this page's own server, which knows where the call is now (or
    // that it is over, if the server holding it stopped).
    setTimeout(() => connect(state.retries % 2 ? state.socketUrl : homeSocket), delay);
  });
}

async function handle(message) {
  switch (message.type) {
    case "welcome":
      state.welcome = message;
      state.hops = 0;
      state.socketUrl = state.ws.url;
      state.mode = message.mode;
      state.peer = message.peer;
      state.initiator = message.initiator;
      state.iceServers = message.ice_servers || [];
      state.mic.setClock(message.clock_s);
      state.mic.resume();
      sessionStorage.setItem(joinedKey, JSON.stringify({ record: $("record").checked }));
      $("consent").hidden = true;
      $("after").hidden = true;
      $("call").hidden = false;
      $("messages").replaceChildren();
      $("notices").replaceChildren(); // the server sends those still in force after this
      message.chat.forEach(showChat);
      showMode();
      await startUplink();
      if (state.mode === "relay") await startRelay();
      else if (state.peer && state.initiator) await startP2P();
      peerStatus();
      break;
    case "peer-joined":
      state.peer = message.peer;
      state.initiator = message.initiator;
      peerStatus();
      if (state.mode === "p2p" && state.initiator) await startP2P();
      break;
    case "peer-left":
      state.peer = null;
      closeP2P();
      $("remote").srcObject = null;
      status(`${otherName} left the call.`);
      break;
    case "answer": {
      // The server answers offers in order: this one is for the oldest still waiting (a
      // connection since replaced by a newer one takes no answer).
      const at = state.offers.findIndex((offer) => offer.leg === message.leg);
      const pc = at < 0 ? null : state.offers.splice(0, at + 1).pop().pc;
      if (pc && pc === state[message.leg]) await pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
      break;
    }
    case "gap":
      answerGap(message);
      break;
    case "p2p":
      await onP2P(message.data);
      break;
    case "mode":
      state.mode = message.mode;
      showMode();
      closeP2P();
      if (state.mode === "relay") await startRelay();
      break;
    case "peer-connection":
      if (message.state === "disconnected" || message.state === "failed") {
        status(`${otherName}'s connection is unstable…`);
      } else if (message.state === "connected") {
        peerStatus();
      }
      break;
    case "peer-media":
      state.peer = message.peer;
      peerStatus();
      break;
    case "recording":
      $("recording").hidden = !message.on;
      break;
    case "chat":
      showChat(message.message);
      break;
    case "replaced":
      state.leaving = true;
      break;
    case "ended":
      state.leaving = true;
      finish("The session has ended", message.by ? `${message.by} ended the session.` : "");
      break;
    case "error":
      console.warn("server:", message.code, message.message);
      if (message.in_reply_to === "offer" && state.offers.length) {
        // The oldest offer gets no answer: its connection is made again, later each time.
        const { leg, pc } = state.offers.shift();
        const wait = 2000 * 2 ** Math.min(state.offerErrors++, 4);
        if (pc === state[leg]) setTimeout(() => reconnect(leg, pc), wait);
      }
      if (message.code === "ended") finish("The session has ended", "");
      if (message.code === "logged-out") state.loggedOut = message.message; // 4401 follows
      if (message.code === "elsewhere") state.elsewhere = message.url; // 4307 follows
      break;
    default:
      break; // captions, meters, cues and notices are handled by listeners of "tandem-message"
  }
  document.dispatchEvent(new CustomEvent("tandem-message", { detail: message }));
}

function peerStatus() {
  if (!state.peer) return status(`Waiting for ${otherName} to join…`);
  const muted = [];
  if (!state.peer.audio) muted.push("microphone muted");
  if (!state.peer.video) muted.push("camera off");
  status(muted.length ? `${otherName}: ${muted.join(", ")}` : "");
}

function showMode() {
  $("link-mode").textContent = state.mode === "relay" ? "Via server" : "Direct";
}

// -- connections ------------------------------------------------------------------------------
function newConnection(leg, timeoutMs) {
  const pc = new RTCPeerConnection({ iceServers: state.iceServers });
  watch(pc, leg, timeoutMs);
  return pc;
}

// -- keeping connections up ----------------------------------------------------------------
function watch(pc, leg, timeoutMs) {
  let grace = null;
  const current = () => state[leg] === pc && !state.leaving;
  pc.addEventListener("connectionstatechange", () => {
    if (!current()) return;
    clearTimeout(grace);
    const now = pc.connectionState;
    if (now === "connected") {
      clearTimeout(pc.connectTimer);
      if (leg !== "p2p") state.offerErrors = 0;
      legUp(leg);
    } else if (now === "disconnected") {
      legDown(leg);
      grace = setTimeout(() => reconnect(leg, pc), DISCONNECTED_GRACE_MS);
    } else if (now === "failed") {
      legDown(leg);
      reconnect(leg, pc);
    }
  });
  armConnectTimer(pc, leg, timeoutMs);
}

function armConnectTimer(pc, leg, timeoutMs) {
  clearTimeout(pc.connectTimer);
  pc.connectTimer = setTimeout(() => {
    if (state[leg] === pc && pc.connectionState !== "connected") {
      legDown(leg);
      reconnect(leg, pc);
    }
  }, timeoutMs);
}

async function reconnect(leg, pc) {
  if (state.leaving || state[leg] !== pc || pc.connectionState === "connected") return;
  state.reconnects[leg] += 1;
  console.info(`reconnecting the ${leg} connection (${pc.connectionState})`);
  if (leg === "uplink") await startUplink(RECONNECT_TIMEOUT_MS);
  else if (leg === "relay" && state.mode === "relay") await startRelay(RECONNECT_TIMEOUT_MS);
  else if (leg === "p2p" && state.mode === "p2p") await restartP2P();
}

function legDown(leg) {
  state.down.add(leg);
  showNotice({ topic: "connection", level: "warning", message: "Connection lost. Reconnecting…" });
}

function legUp(leg) {
  if (state.down.delete(leg) && state.down.size === 0) {
    showNotice({ topic: "connection", level: "ok", message: "Reconnected." }, 4000);
  }
}

function forgetLeg(leg) {
  // A connection closed on purpose (the other person left, the call went to relay).
  if (state.down.delete(leg) && state.down.size === 0) $("notices").querySelector('[data-topic="connection"]')?.remove();
}

// -- sending audio the server lost ----------------------------------------------------------
async function answerGap(message) {
  // The server asks for a little after the hole too: wait until this page has it.
  await state.mic.until(message.to_s, 5000);
  const audio = state.mic.read(message.from_s, message.to_s);
  if (!audio) {
    send({ type: "gap-audio", id: message.id, start_s: message.from_s, pcm: "", last: true });
    return;
  }
  for (let i = 0; i < audio.pcm.length; i += GAP_CHUNK_SAMPLES) {
    send({
      type: "gap-audio",
      id: message.id,
      start_s: Math.round((audio.startS + i / RATE) * 1e5) / 1e5, // (to a sixth of a sample)
      pcm: base64Pcm(audio.pcm.subarray(i, i + GAP_CHUNK_SAMPLES)),
      last: i + GAP_CHUNK_SAMPLES >= audio.pcm.length,
    });
  }
  state.gapsAnswered += 1;
}

async function gatheredOffer(pc) {
  // aiortc does not trickle ICE: send the offer once gathering is complete.
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== "complete") {
    await new Promise((resolve) => {
      const check = () => pc.iceGatheringState === "complete" && resolve();
      pc.addEventListener("icegatheringstatechange", check);
      setTimeout(resolve, 5000);
    });
  }
  return pc.localDescription.sdp;
}

async function startUplink(timeoutMs = FIRST_CONNECT_TIMEOUT_MS) {
  if (state.uplink) state.uplink.close();
  const pc = newConnection("uplink", timeoutMs);
  state.uplink = pc;
  for (const track of state.stream.getAudioTracks()) pc.addTrack(track, state.stream);
  const sdp = await gatheredOffer(pc);
  if (state.uplink !== pc) return; // replaced while gathering
  state.offers.push({ leg: "uplink", pc });
  send({ type: "offer", leg: "uplink", sdp });
}

async function startRelay(timeoutMs = FIRST_CONNECT_TIMEOUT_MS) {
  if (state.relay) state.relay.close();
  const pc = newConnection("relay", timeoutMs);
  state.relay = pc;
  for (const track of state.stream.getVideoTracks()) pc.addTrack(track, state.stream);
  pc.addTransceiver("audio", { direction: "recvonly" });
  const remote = new MediaStream();
  pc.addEventListener("track", (event) => {
    remote.addTrack(event.track);
    $("remote").srcObject = remote;
  });
  const sdp = await gatheredOffer(pc);
  if (state.relay !== pc) return;
  state.offers.push({ leg: "relay", pc });
  send({ type: "offer", leg: "relay", sdp });
}

async function startP2P() {
  closeP2P();
  const pc = newConnection("p2p", FIRST_CONNECT_TIMEOUT_MS);
  state.p2p = pc;
  state.stream.getTracks().forEach((track) => pc.addTrack(track, state.stream));
  pc.addEventListener("track", (event) => {
    $("remote").srcObject = event.streams[0] || new MediaStream([event.track]);
  });
  pc.addEventListener("icecandidate", (event) => {
    if (event.candidate) send({ type: "p2p", data: { candidate: event.candidate.toJSON() } });
  });
  pc.addEventListener("connectionstatechange", () => {
    send({ type: "p2p-state", state: pc.connectionState });
  });
  if (state.initiator) {
    await pc.setLocalDescription(await pc.createOffer());
    send({ type: "p2p", data: { description: pc.localDescription.toJSON() } });
  }
  return pc;
}

async function restartP2P() {
  // The initiator makes every peer-to-peer offer: the other side asks it to (no glare).
  const pc = state.p2p;
  if (!pc) return;
  armConnectTimer(pc, "p2p", RECONNECT_TIMEOUT_MS);
  if (!state.initiator) {
    send({ type: "p2p", data: { restart: true } });
    return;
  }
  if (pc.signalingState !== "stable") await pc.setLocalDescription({ type: "rollback" });
  await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
  send({ type: "p2p", data: { description: pc.localDescription.toJSON(), restart: true } });
}

async function onP2P(data) {
  if (state.mode !== "p2p") return;
  if (data.restart && !data.description) {
    if (state.initiator && state.p2p) await restartP2P(); // the other side asks for it
    return;
  }
  if (data.description) {
    if (data.description.type === "offer") {
      // An ICE restart renegotiates the connection there is; any other offer starts one.
      const again = data.restart && state.p2p && state.p2p.connectionState !== "closed";
      const pc = state.initiator || again ? state.p2p : await startP2P();
      await pc.setRemoteDescription(data.description);
      await pc.setLocalDescription(await pc.createAnswer());
      send({ type: "p2p", data: { description: pc.localDescription.toJSON() } });
    } else if (state.p2p) {
      await state.p2p.setRemoteDescription(data.description);
    }
    for (const candidate of state.pendingCandidates.splice(0)) await state.p2p?.addIceCandidate(candidate);
  } else if (data.candidate) {
    if (state.p2p?.remoteDescription) await state.p2p.addIceCandidate(data.candidate);
    else state.pendingCandidates.push(data.candidate);
  }
}

function closeP2P() {
  if (state.p2p) {
    clearTimeout(state.p2p.connectTimer);
    state.p2p.close();
  }
  state.p2p = null;
  state.pendingCandidates = [];
  forgetLeg("p2p");
}

function closeConnections() {
  closeP2P();
  for (const key of ["uplink", "relay"]) {
    if (state[key]) {
      clearTimeout(state[key].connectTimer);
      state[key].close();
    }
    state[key] = null;
    forgetLeg(key);
  }
  state.offers = [];
}

// -- chat, controls, leaving ----------------------------------------------------------------
function showChat(message) {
  const item = document.createElement("li");
  const who = document.createElement("strong");
  who.textContent = `${message.name || message.from}: `;
  item.append(who);
  // Links become clickable; everything else stays text (never HTML).
  for (const part of message.text.split(/(https?:\/\/[^\s<>"]+)/)) {
    if (/^https?:\/\//.test(part)) {
      const link = document.createElement("a");
      link.href = part;
      link.textContent = part;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      item.append(link);
    } else {
      item.append(document.createTextNode(part));
    }
  }
  $("messages").append(item);
  item.scrollIntoView({ block: "nearest" });
}

// -- notices: faults on the server people should know of -------------------------------------
// One line per topic ("saving": the database is away; "disk": audio can no longer be written),
// replaced by the next notice of its topic; an "ok" one says the fault is over and goes.
function showNotice(message, okFor = 20000) {
  const box = $("notices");
  let item = [...box.children].find((el) => el.dataset.topic === message.topic);
  if (!item) {
    item = document.createElement("p");
    item.dataset.topic = message.topic;
    box.append(item);
  }
  clearTimeout(Number(item.dataset.timer || 0));
  item.className = `notice ${message.level}`;
  item.setAttribute("role", message.level === "ok" ? "status" : "alert");
  item.textContent = message.message;
  if (message.level === "ok") item.dataset.timer = String(setTimeout(() => item.remove(), okFor));
}

document.addEventListener("tandem-message", (event) => {
  if (event.detail.type === "notice") showNotice(event.detail);
});

function setTrackEnabled(kind, button, onText, offText) {
  const tracks = kind === "audio" ? state.stream.getAudioTracks() : state.stream.getVideoTracks();
  const enabled = !tracks[0]?.enabled;
  tracks.forEach((t) => (t.enabled = enabled));
  button.setAttribute("aria-pressed", String(!enabled));
  button.textContent = enabled ? onText : offText;
  send({
    type: "media",
    audio: state.stream.getAudioTracks()[0]?.enabled ?? false,
    video: state.stream.getVideoTracks()[0]?.enabled ?? false,
  });
}

function finish(title, text) {
  state.leaving = true;
  closeConnections();
  releaseMedia();
  $("join").disabled = false;
  sessionStorage.removeItem(joinedKey);
  $("call").hidden = true;
  $("consent").hidden = true;
  $("after").hidden = false;
  $("after-title").textContent = title;
  $("after-text").textContent = text;
  $("rejoin").hidden = title !== "You left the call";
}

function leave() {
  send({ type: "leave" });
  finish("You left the call", "You can rejoin while the session is open.");
  state.ws?.close();
}

async function join() {
  $("join").disabled = true;
  state.mic.resume();
  try {
    if (!state.stream) await openMedia();
  } catch {
    $("join").disabled = false;
    return;
  }
  state.leaving = false;
  connect();
}

function init() {
  if (root.dataset.ended === "yes") return;
  $("join").addEventListener("click", join);
  $("check-devices").addEventListener("click", () => openMedia().catch(() => {}));
  $("camera").addEventListener("change", openMedia);
  $("microphone").addEventListener("change", openMedia);
  $("toggle-mic").addEventListener("click", (e) =>
    setTrackEnabled("audio", e.currentTarget, "Mute microphone", "Unmute microphone"));
  $("toggle-camera").addEventListener("click", (e) =>
    setTrackEnabled("video", e.currentTarget, "Turn camera off", "Turn camera on"));
  $("leave").addEventListener("click", leave);
  $("end").addEventListener("click", () => {
    if (confirm("End this session for both of you?")) send({ type: "end" });
  });
  $("rejoin").addEventListener("click", () => {
    $("after").hidden = true;
    $("consent").hidden = false;
    join();
  });
  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("chat-text").value.trim();
    if (text) send({ type: "chat", text });
    $("chat-text").value = "";
  });
  window.addEventListener("pagehide", () => {
    if (!state.leaving) state.ws?.close(); // a reload: the next page rejoins
  });
  const joined = sessionStorage.getItem(joinedKey);
  if (joined) {
    // A reload of a call we were in: rejoin with the same consent, no second screen.
    $("record").checked = JSON.parse(joined).record;
    join();
  }
  // Otherwise camera and microphone stay off until the person checks them or joins.
}

init();
