/* Review screen: every vote by keyboard. c/i/u verdict, m/n severity, 1-4 category, p opens
   the problem flags (then 1-4 toggle them), g edits the guide notes, Enter votes. */
"use strict";
(function () {
  const form = document.getElementById("vote-form");
  const flags = document.getElementById("flags");
  const notes = document.getElementById("guide-notes");
  const guideForm = document.getElementById("guide-form");
  const guideStatus = document.getElementById("guide-status");
  const shown = performance.now();
  let flagMode = false;

  function pick(name, key) {
    const input = form.querySelector(`input[name="${name}"][data-key="${key}"]`);
    if (!input) return false;
    if (input.type === "checkbox") input.checked = !input.checked;
    else input.checked = true;
    input.dispatchEvent(new Event("change", {bubbles: true}));
    return true;
  }

  function mistakeFields() {
    const verdict = form.querySelector("input[name=verdict]:checked");
    const isMistake = verdict && verdict.value === "incorrect";
    form.querySelectorAll(".mistake").forEach((set) => set.classList.toggle("inactive", !isMistake));
  }

  function setFlagMode(on) {
    flagMode = on;
    flags.classList.toggle("active", on);
  }

  form.addEventListener("change", mistakeFields);
  form.addEventListener("submit", () => {
    form.elements.duration_ms.value = String(Math.round(performance.now() - shown));
  });
  mistakeFields();

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.matches && target.matches("textarea, input[type=text]")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    const key = event.key.toLowerCase();
    // Enter and Space keep their own meaning on buttons and links (the guide's Save).
    if ((key === "enter" || key === " ") && target.closest && target.closest("button, a, select")) return;
    if (window.FineZoom && window.FineZoom.key(event)) { event.preventDefault(); return; }
    let handled = false;
    if (key === "escape") { setFlagMode(false); handled = true; }
    else if (key === "p") { setFlagMode(!flagMode); handled = true; }
    else if (key === "g") { notes.focus(); handled = true; }
    else if (key === "enter") { form.requestSubmit(); handled = true; }
    else if (/^[1-4]$/.test(key)) handled = pick(flagMode ? "flags" : "category", key);
    else if ("ciu".includes(key)) { handled = pick("verdict", key); setFlagMode(false); }
    else if ("mn".includes(key)) handled = pick("severity", key);
    if (handled) event.preventDefault();
  });

  guideForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(guideForm.action, {
      method: "POST",
      body: new FormData(guideForm),
      headers: {Accept: "application/json"},
      credentials: "same-origin",
    });
    const body = await response.json();
    guideStatus.textContent = response.ok ? "saved" : body.error;
  });
  notes.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      guideForm.requestSubmit();
    }
  });
})();
