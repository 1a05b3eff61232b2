// livestyle serve: camera -> WebRTC -> server (stylizes) -> WebRTC -> <video>.
// Settings go over the "settings" data channel and apply without reconnecting.
"use strict";

const $ = (id) => document.getElementById(id);
const video = $("out"), statusLine = $("status"), styleSelect = $("style"), strength = $("strength");
const strengthValue = $("strength-value"), snapshotButton = $("snapshot"), reconnectButton = $("reconnect");

let styles = [];                   // from GET /styles
let settings = {};                 // {style, tier, strength}: what the server paints with
let pc = null, channel = null, camera = null;
// For tests and curious users: frames shown and the server's latest stats.
window.livestyle = { framesShown: 0, stats: null, settings: null, error: null };

function say(message, isError = false) {
  statusLine.textContent = message;
  statusLine.classList.toggle("error", isError);
  if (isError) window.livestyle.error = message;
}

function showSettings() {
  styleSelect.value = settings.style;
  const style = styles.find((s) => s.name === settings.style);
  for (const input of document.querySelectorAll("input[name=tier]")) {
    input.disabled = !style || !style.tiers.includes(input.value);  // tiers the style ships
    input.checked = input.value === settings.tier;
  }
  strength.value = settings.strength;
  strengthValue.textContent = Number(settings.strength).toFixed(2);
  window.livestyle.settings = { ...settings };
}

async function loadStyles() {
  const response = await fetch("/styles");
  const data = await response.json();
  styles = data.styles;
  for (const s of styles) styleSelect.add(new Option(`${s.title} (${s.painter}, ${s.year})`, s.name));
  settings = { ...data.default };
  showSettings();
}

// Send a change; before the channel is open it only changes what the offer asks for.
function change(update) {
  Object.assign(settings, update);
  if (channel && channel.readyState === "open") channel.send(JSON.stringify(update));
  else showSettings();
}

function onServerMessage(message) {
  if (message.settings) { settings = message.settings; showSettings(); say(`Painting: ${settings.style} (${settings.tier})`); }
  if (message.error) say(message.error, true);
  if (message.stats) {
    const s = message.stats;
    window.livestyle.stats = s;
    $("stats").textContent = `${s.fps} frames/s, ${Math.round(s.dropped_share * 100)}% of camera frames skipped, ` +
      `${s.paint_ms} ms per frame`;
  }
}

// aiortc does not take trickled candidates: send the offer once gathering is done.
function iceGathered(peer) {
  return new Promise((resolve) => {
    if (peer.iceGatheringState === "complete") return resolve();
    const check = () => { if (peer.iceGatheringState === "complete") resolve(); };
    peer.addEventListener("icegatheringstatechange", check);
    setTimeout(resolve, 5000);  // a stuck candidate must not hang the page; use what we have
  });
}

async function connect() {
  reconnectButton.hidden = true;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new Error("this browser allows the camera only on https:// or http://localhost pages");
  }
  camera = camera || await navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  say("Connecting…");
  pc = new RTCPeerConnection();  // no STUN/TURN: the server is on this machine (or this network)
  for (const track of camera.getVideoTracks()) {
    // "detail": when the CPU or network is short, the browser lowers the frame rate rather
    // than the resolution (the server drops stale frames anyway; strokes need the pixels).
    if ("contentHint" in track) track.contentHint = "detail";
    pc.addTrack(track, camera);
  }
  channel = pc.createDataChannel("settings");
  channel.onmessage = (event) => onServerMessage(JSON.parse(event.data));
  pc.ontrack = (event) => { video.srcObject = event.streams[0] || new MediaStream([event.track]); };
  const peer = pc;
  const lost = () => {
    if (peer !== pc) return;  // an old connection, replaced by Reconnect
    say("Disconnected from the server.", true);
    reconnectButton.hidden = false;
  };
  // The channel closes at once when the server stops; the connection state only after a timeout.
  channel.onclose = lost;
  pc.onconnectionstatechange = () => {
    if (peer.connectionState === "connected") say(`Painting: ${settings.style} (${settings.tier})`);
    if (["failed", "disconnected", "closed"].includes(peer.connectionState)) lost();
  };
  await pc.setLocalDescription(await pc.createOffer());
  await iceGathered(pc);
  const response = await fetch("/offer", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sdp: pc.localDescription.sdp, type: pc.localDescription.type, ...settings }),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || `the server answered ${response.status}`);
  settings = answer.settings;
  showSettings();
  await pc.setRemoteDescription({ sdp: answer.sdp, type: answer.type });
}

// Snapshot: the current frame of the <video>, drawn on a canvas, downloaded as PNG.
function snapshot() {
  const canvas = $("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  canvas.toBlob((blob) => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `livestyle-${settings.style}-${new Date().toISOString().replace(/[:.]/g, "-")}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }, "image/png");
}

function countFrames() {
  // Counts frames actually presented (tests wait on this); older browsers just skip it.
  if (!video.requestVideoFrameCallback) return;
  const tick = () => { window.livestyle.framesShown += 1; video.requestVideoFrameCallback(tick); };
  video.requestVideoFrameCallback(tick);
}

styleSelect.addEventListener("change", () => {
  // Keep the tier when the new style has it, else let the server pick (auto).
  const style = styles.find((s) => s.name === styleSelect.value);
  change({ style: styleSelect.value, tier: style && style.tiers.includes(settings.tier) ? settings.tier : "auto" });
});
for (const input of document.querySelectorAll("input[name=tier]")) {
  input.addEventListener("change", () => change({ tier: input.value }));
}
strength.addEventListener("input", () => {
  strengthValue.textContent = Number(strength.value).toFixed(2);
  change({ strength: Number(strength.value) });
});
snapshotButton.addEventListener("click", snapshot);
video.addEventListener("playing", () => { snapshotButton.disabled = false; });
reconnectButton.addEventListener("click", () => {
  if (pc) pc.close();
  connect().catch((e) => { say(`Could not connect: ${e.message}`, true); reconnectButton.hidden = false; });
});
window.addEventListener("pagehide", () => { if (pc) pc.close(); });  // frees the server's worker at once

countFrames();
loadStyles()
  .then(connect)
  .catch((e) => { say(`Could not start: ${e.message}`, true); reconnectButton.hidden = false; });
