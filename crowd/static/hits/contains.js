/* CONTAINS grid: toggle thumbnails by mouse or keyboard, larger view on demand. */
"use strict";
(function () {
  const hit = window.FineHit;
  const cells = Array.from(document.querySelectorAll("#grid .pick"));
  const count = document.getElementById("count");
  const viewer = document.getElementById("viewer");
  const viewerImage = document.getElementById("viewer-image");
  const viewerToggle = document.getElementById("viewer-toggle");
  let shown = null;

  function selected(cell) { return cell.getAttribute("aria-pressed") === "true"; }

  function toggle(cell) {
    cell.setAttribute("aria-pressed", selected(cell) ? "false" : "true");
    count.textContent = String(cells.filter(selected).length);
    if (cell === shown) viewerToggle.textContent = selected(cell) ? "Unselect" : "Select";
  }

  function columns() {
    // Cells in the first row share its top edge; the layout reflows with the frame's width.
    const top = cells[0].getBoundingClientRect().top;
    const n = cells.findIndex((c) => c.getBoundingClientRect().top !== top);
    return n === -1 ? cells.length : n;
  }

  function show(cell) {
    shown = cell;
    viewerImage.src = cell.dataset.full;  // the large image loads only now
    viewerImage.alt = cell.querySelector("img").alt + ", larger";
    viewerToggle.textContent = selected(cell) ? "Unselect" : "Select";
    viewer.showModal();
  }

  const moves = {ArrowLeft: () => -1, ArrowRight: () => 1,
                 ArrowUp: () => -columns(), ArrowDown: () => columns()};

  cells.forEach((cell, i) => {
    cell.addEventListener("click", () => toggle(cell));
    cell.nextElementSibling.addEventListener("click", () => show(cell));
    cell.addEventListener("keydown", (event) => {
      if (event.key in moves) {
        const j = i + moves[event.key]();
        if (j >= 0 && j < cells.length) cells[j].focus();
        event.preventDefault();
      } else if (event.key === "v" || event.key === "V") {
        show(cell);
        event.preventDefault();
      }
    });
  });
  viewerToggle.addEventListener("click", () => shown && toggle(shown));
  document.getElementById("viewer-close").addEventListener("click", () => viewer.close());
  viewer.addEventListener("close", () => { if (shown) shown.focus(); shown = null; });

  hit.submitButton.addEventListener("click", () => {
    const positions = cells.filter(selected).map((c) => Number(c.dataset.position));
    hit.submit({positions});
  });
})();
