/* Zoomable picture for the review screens: buttons, + / - / 0 keys, click to zoom at a point. */
"use strict";
window.FineZoom = (function () {
  const STEPS = [1, 1.5, 2, 3, 4];
  const viewer = document.querySelector(".viewer");
  if (!viewer) return null;
  const frame = viewer.querySelector(".frame");
  const photo = viewer.querySelector(".photo");
  const level = viewer.querySelector(".zoom-level");
  let step = 0;

  function zoom(next, fx, fy) {
    step = Math.max(0, Math.min(STEPS.length - 1, next));
    photo.style.width = STEPS[step] * 100 + "%";
    frame.classList.toggle("zoomed", step > 0);
    frame.scrollLeft = (fx === undefined ? 0.5 : fx) * photo.clientWidth - frame.clientWidth / 2;
    frame.scrollTop = (fy === undefined ? 0.5 : fy) * photo.clientHeight - frame.clientHeight / 2;
    level.textContent = Math.round(STEPS[step] * 100) + "%";
  }

  viewer.querySelectorAll("[data-zoom]").forEach((button) => {
    button.addEventListener("click", () => {
      const delta = Number(button.dataset.zoom);
      zoom(delta === 0 ? 0 : step + delta);
    });
  });
  photo.addEventListener("click", (event) => {
    const box = photo.getBoundingClientRect();
    zoom(step === 0 ? 2 : 0, (event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
  });
  return {
    key(event) {
      if (event.key === "+" || event.key === "=") { zoom(step + 1); return true; }
      if (event.key === "-") { zoom(step - 1); return true; }
      if (event.key === "0") { zoom(0); return true; }
      return false;
    },
  };
})();
