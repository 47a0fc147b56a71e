// The window: it draws the view the Go side sends (App.Status at load,
// then each "status" event) and tells the Go side what it drew.
const $ = (id) => document.getElementById(id);

function render(v) {
  const badge = v.ready ? "ready" : v.state;
  $("badge").textContent = badge;
  $("badge").className = badge;
  $("state").textContent = v.state;
  $("port").textContent = v.port || "-";
  $("pid").textContent = v.pid || "-";
  $("attempt").textContent = v.attempt;
  $("restarts").textContent = v.restarts;
  $("log").textContent = (v.lines || []).join("\n");
  // What a person sees, read back from the page itself (and where the
  // Crash button is, so that a test can click it).
  const crash = $("crash").getBoundingClientRect();
  window.go.main.App.Rendered(
    `${$("badge").textContent} state=${$("state").textContent} port=${$("port").textContent} ` +
    `attempt=${$("attempt").textContent} restarts=${$("restarts").textContent} ` +
    `crash-button=${Math.round(crash.x + crash.width / 2)},${Math.round(crash.y + crash.height / 2)}`);
}

$("restart").onclick = () => window.go.main.App.Restart();
$("crash").onclick = () => window.go.main.App.Crash();
window.runtime.EventsOn("status", render);
window.go.main.App.Status().then(render);
