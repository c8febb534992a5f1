/* Human accuracy, training round: a pick is sent in the background and answered at once with
   whether it was right and the correct labels; "Next" loads the next image (after the last
   one, the measured round). */
"use strict";
(function () {
  const root = document.querySelector(".human");
  const box = document.getElementById("feedback");
  const verdict = document.getElementById("feedback-verdict");
  const correct = document.getElementById("feedback-correct");
  const next = document.getElementById("feedback-next");
  const progress = document.getElementById("progress");

  function showFeedback(data) {
    if (data.error) {
      verdict.textContent = data.error;
      correct.textContent = "";
    } else {
      verdict.textContent = (data.right ? "Right: " : "Wrong: you picked ") + data.picked;
      correct.textContent = data.correct.join(", ");
      progress.textContent = data.done + " / " + data.total;
      box.classList.add(data.right ? "right" : "wrong");
      root.dataset.feedback = data.right ? "right" : "wrong";
      if (data.training_over) next.textContent = "Start the measured round";
    }
    box.hidden = false;
    next.focus();
  }

  next.addEventListener("click", () => window.location.reload());
  window.FineTraining = {
    submit: function (form) {
      fetch(root.dataset.trainingUrl, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: {"X-CSRFToken": form.elements.csrfmiddlewaretoken.value, Accept: "application/json"},
      })
        .then((response) => response.json())
        .then(showFeedback)
        .catch(() => showFeedback({error: "The pick could not be sent; reload the page."}));
    },
  };
})();
