/* Human accuracy: pick one class out of all of them. Search names and synonyms (the class
   list comes once, as JSON), or browse the WordNet tree; the time from the picture showing to
   the pick is sent with it. In the training round the pick goes to FineTraining
   (human_training.js), which shows the feedback; the class search is shared as FineHuman. */
"use strict";
(function () {
  const root = document.querySelector(".human");
  const form = document.getElementById("pick-form");
  const search = document.getElementById("class-search");
  const results = document.getElementById("results");
  const chosen = document.getElementById("chosen");
  const tree = document.getElementById("hierarchy");
  const photo = root.querySelector(".photo");
  let shown = performance.now();
  let classes = [];
  let matches = [];
  let active = 0;
  photo.addEventListener("load", () => { shown = performance.now(); }, {once: true});

  let sent = false;
  function submitPick(index, name) {
    if (sent) return;
    sent = true;
    form.elements.label.value = String(index);
    form.elements.duration_ms.value = String(Math.round(performance.now() - shown));
    chosen.textContent = "Picked: " + name;
    if (root.dataset.round === "training" && window.FineTraining) window.FineTraining.submit(form);
    else form.submit();
  }

  function rank(query) {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const scored = [];
    for (const c of classes) {
      let best = 99;
      c.words.forEach((word, i) => {
        if (word === q) best = Math.min(best, 0);
        else if (word.startsWith(q)) best = Math.min(best, 1 + (i > 0 ? 0.5 : 0));
        else if (word.includes(" " + q)) best = Math.min(best, 3);
        else if (word.includes(q)) best = Math.min(best, 4);
      });
      if (best < 99) scored.push([best, c]);
    }
    scored.sort((a, b) => a[0] - b[0] || a[1].name.localeCompare(b[1].name));
    return scored.slice(0, 30).map((pair) => pair[1]);
  }

  function render() {
    results.replaceChildren();
    matches.forEach((c, i) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.className = i === active ? "active" : "";
      li.setAttribute("aria-selected", String(i === active));
      li.dataset.index = String(c.index);
      const others = c.synonyms.filter((s) => s !== c.name);
      li.textContent = c.name + (others.length ? " (" + others.join(", ") + ")" : "");
      li.addEventListener("click", () => submitPick(c.index, c.name));
      results.appendChild(li);
    });
    const current = results.children[active];
    if (current) current.scrollIntoView({block: "nearest"});
  }

  search.addEventListener("input", () => { matches = rank(search.value); active = 0; render(); });
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { active = Math.min(matches.length - 1, active + 1); render(); }
    else if (event.key === "ArrowUp") { active = Math.max(0, active - 1); render(); }
    else if (event.key === "Enter") {
      const c = matches[active];
      if (c) submitPick(c.index, c.name);
    } else if (event.key === "Escape") { search.value = ""; matches = []; render(); }
    else return;
    event.preventDefault();
  });
  document.addEventListener("keydown", (event) => {
    if (event.target === search || event.target.matches("input, textarea, summary, button")) return;
    if (event.key === "/") { event.preventDefault(); search.focus(); }
    else if (event.key === "e" && window.FineExamples) { event.preventDefault(); window.FineExamples.open(); }
    else if (window.FineZoom && window.FineZoom.key(event)) event.preventDefault();
  });

  // The WordNet tree, built lazily: a node's children appear when it is opened.
  function buildTree(nodes) {
    const children = {};
    const classOf = {};
    classes.forEach((c) => { classOf[c.wnid] = c; });
    for (const [wnid, [, parent]] of Object.entries(nodes)) {
      if (parent) (children[parent] = children[parent] || []).push(wnid);
    }
    const name = (wnid) => nodes[wnid][0];
    Object.values(children).forEach((list) => list.sort((a, b) => name(a).localeCompare(name(b))));

    function nodeElement(wnid) {
      const kids = children[wnid] || [];
      const c = classOf[wnid];
      const pickButton = () => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "pick-class";
        button.textContent = c.name;
        button.dataset.index = String(c.index);
        button.addEventListener("click", () => submitPick(c.index, c.name));
        return button;
      };
      if (!kids.length) {
        const li = document.createElement("li");
        li.setAttribute("role", "treeitem");
        li.appendChild(pickButton());
        return li;
      }
      const li = document.createElement("li");
      li.setAttribute("role", "treeitem");
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = name(wnid) + " (" + kids.length + ")";
      details.appendChild(summary);
      if (c) details.appendChild(pickButton());
      const ul = document.createElement("ul");
      ul.setAttribute("role", "group");
      details.appendChild(ul);
      details.addEventListener("toggle", () => {
        if (details.open && !ul.children.length) kids.forEach((k) => ul.appendChild(nodeElement(k)));
      });
      li.appendChild(details);
      return li;
    }
    const roots = Object.keys(nodes).filter((wnid) => !nodes[wnid][1]);
    const ul = document.createElement("ul");
    roots.forEach((r) => ul.appendChild(nodeElement(r)));
    tree.replaceChildren(ul);
  }

  fetch(root.dataset.classesUrl, {credentials: "same-origin"})
    .then((response) => response.json())
    .then((data) => {
      classes = data.classes.map(([index, name, synonyms, wnid]) => ({
        index, name, synonyms, wnid, words: synonyms.concat([name]).map((w) => w.toLowerCase()),
      }));
      buildTree(data.nodes);
      window.FineHuman = {rank: rank};
      root.dataset.ready = "true";
      document.dispatchEvent(new CustomEvent("fine:classes"));
      if (search.value) { matches = rank(search.value); render(); }
    });
})();
