"""The browser view's HTML: the live page, and the page that asks for the access token."""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>dae live</title>
<style>
body { margin: 0; background: #111; color: #ddd; font: 14px system-ui, sans-serif; }
#view { display: block; max-width: 100%; background: #000; }
#bar { padding: 8px; display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; }
button { font: inherit; padding: 4px 10px; }
b { color: #7d7; font-weight: normal; }
</style></head>
<body>
<img id="view" src="/stream.mjpg" alt="live view">
<div id="bar">
  <span>pipeline <b id="pipeline_fps">-</b> FPS</span>
  <span>latency <b id="latency_ms">-</b> ms</span>
  <span>digits <b id="digits">-</b></span>
  <span>noise <b id="noise">-</b></span>
  <span>mode <b id="mode">-</b></span>
  <span>model <b id="model">-</b> (<b id="precision">-</b>)</span>
  <span>source <b id="source">-</b></span>
  <span>viewers <b id="viewers">-</b></span>
  <button onclick="control('noise_down')">noise &minus;</button>
  <button onclick="control('noise_up')">noise +</button>
  <button onclick="control('mode')">digits / full frame</button>
</div>
<script>
// A ?token= is in the cookie now (HttpOnly): keep it out of the address bar, history and screenshots.
if (location.search) history.replaceState(null, '', location.pathname);
function control(action) {
  fetch('/control?action=' + action, {method: 'POST', headers: {'X-Dae-Control': '1'}}).then(refresh);
}
function refresh() {
  fetch('/stats', {cache: 'no-store'}).then(r => r.json()).then(s => {
    for (const [k, v] of Object.entries(s)) {
      const el = document.getElementById(k);
      if (el) el.textContent = typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(k === 'noise' ? 2 : 1) : v;
    }
  }).catch(() => {});
}
setInterval(refresh, 500); refresh();
</script>
</body></html>
"""

TOKEN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>dae live: access token</title>
<style>body { margin: 2em; background: #111; color: #ddd; font: 16px system-ui, sans-serif; }</style>
</head>
<body>
<p>This live view needs its access token. Open the address <code>dae live</code> printed when it started
(<code>http://HOST:PORT/?token=...</code>), or give the token here:</p>
<form action="/" method="get">
<input name="token" type="password" autocomplete="off" autofocus aria-label="access token">
<button>Open</button>
</form>
</body></html>
"""
