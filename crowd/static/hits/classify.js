/* CLASSIFY task: zoomable image, labels present and the main one, rules checked here and
   again on the server. */
"use strict";
(function () {
  const hit = window.FineHit;
  const frame = document.getElementById("frame");
  const photo = document.getElementById("photo");
  const level = document.getElementById("zoom-level");
  const STEPS = [1, 1.5, 2, 3, 4];
  let step = 0;

  function zoom(next, focusX, focusY) {
    step = Math.max(0, Math.min(STEPS.length - 1, next));
    const fx = focusX === undefined ? 0.5 : focusX;
    const fy = focusY === undefined ? 0.5 : focusY;
    photo.style.width = STEPS[step] * 100 + "%";
    frame.classList.toggle("zoomed", step > 0);
    frame.scrollLeft = fx * photo.clientWidth - frame.clientWidth / 2;
    frame.scrollTop = fy * photo.clientHeight - frame.clientHeight / 2;
    level.textContent = Math.round(STEPS[step] * 100) + "%";
  }

  document.getElementById("zoom-in").addEventListener("click", () => zoom(step + 1));
  document.getElementById("zoom-out").addEventListener("click", () => zoom(step - 1));
  document.getElementById("zoom-fit").addEventListener("click", () => zoom(0));
  photo.addEventListener("click", (event) => {
    const box = photo.getBoundingClientRect();
    const x = (event.clientX - box.left) / box.width, y = (event.clientY - box.top) / box.height;
    zoom(step === 0 ? 2 : 0, x, y);
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest && event.target.closest("input, button, a")) return;
    if (event.key === "+" || event.key === "=") zoom(step + 1);
    if (event.key === "-") zoom(step - 1);
  });

  function checkedValues(name) {
    return Array.from(document.querySelectorAll(`input[name="${name}"]:checked`))
      .map((input) => Number(input.value));
  }

  function broken(labels, main) {
    if (labels.length === 0) {
      return "Tick at least one label that names an object in the image.";
    }
    if (main === undefined) {
      return "Choose the main object with its round “main object” button.";
    }
    if (!labels.includes(main)) {
      return "The main object's label must also be ticked as present in the image.";
    }
    return "";
  }

  document.querySelectorAll(".option").forEach((row) => {
    row.addEventListener("change", () => {
      row.classList.toggle("is-present", row.querySelector("input[name=present]").checked);
    });
  });

  hit.submitButton.addEventListener("click", () => {
    const labels = checkedValues("present");
    const main = checkedValues("main")[0];
    const problem = broken(labels, main);
    if (problem) {
      hit.message(problem, "error");
      return;
    }
    hit.submit({labels, main});
  });
})();
