/* Human accuracy: example images and guide notes of any class, opened in the page (the pick
   and its timer keep running). Classes are searched with the picker's own ranking
   (FineHuman, from human.js); a class's examples come as JSON from the session's training
   split. */
"use strict";
(function () {
  const panel = document.getElementById("examples-panel");
  if (!panel) return;
  const search = document.getElementById("example-search");
  const results = document.getElementById("example-results");
  const view = document.getElementById("example-view");
  const title = document.getElementById("example-name");
  const gloss = document.getElementById("example-gloss");
  const guide = document.getElementById("example-guide");
  const grid = document.getElementById("example-grid");
  const large = document.getElementById("example-large");
  const base = search.dataset.url.replace(/0\/$/, "");
  let matches = [];
  let active = 0;

  function open() {
    panel.open = true;
    search.focus();
  }

  function thumbnail(example, name) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "example-thumb";
    const img = document.createElement("img");
    img.src = example.thumb;
    img.alt = "An example of " + name;
    img.className = "thumb";
    button.appendChild(img);
    button.addEventListener("click", () => {
      large.src = example.full;
      large.alt = "An example of " + name + ", full size";
      large.hidden = false;
    });
    return button;
  }

  function show(data) {
    view.hidden = false;
    title.textContent = data.name;
    gloss.textContent = data.gloss || "";
    guide.textContent = data.guide || "No guide notes for this class yet.";
    large.hidden = true;
    grid.replaceChildren();
    if (!data.examples.length) {
      const none = document.createElement("p");
      none.className = "none";
      none.textContent = data.split ? "No example of this class in the training split." : "No training split for this session.";
      grid.appendChild(none);
    }
    data.examples.forEach((example) => grid.appendChild(thumbnail(example, data.name)));
    view.dataset.index = String(data.index);
  }

  function load(c) {
    fetch(base + c.index + "/", {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then((response) => response.json())
      .then((data) => {
        if (data.error) { view.hidden = false; title.textContent = data.error; return; }
        show(data);
      });
  }

  function render() {
    results.replaceChildren();
    matches.forEach((c, i) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.className = i === active ? "active" : "";
      li.setAttribute("aria-selected", String(i === active));
      li.textContent = c.name;
      li.addEventListener("click", () => load(c));
      results.appendChild(li);
    });
  }

  search.addEventListener("input", () => {
    matches = window.FineHuman ? window.FineHuman.rank(search.value).slice(0, 10) : [];
    active = 0;
    render();
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { active = Math.min(matches.length - 1, active + 1); render(); }
    else if (event.key === "ArrowUp") { active = Math.max(0, active - 1); render(); }
    else if (event.key === "Enter") { if (matches[active]) load(matches[active]); }
    else if (event.key === "Escape") { panel.open = false; document.getElementById("class-search").focus(); }
    else return;
    event.preventDefault();
  });
  window.FineExamples = {open: open};
})();
