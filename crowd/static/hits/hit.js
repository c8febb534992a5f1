/* Shared by the HIT pages: mode (MTurk, preview, local), submitting the answer to our
   server, then handing the assignment back to Mechanical Turk. No cookies are needed. */
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("hit-config").textContent);
  const params = new URLSearchParams(window.location.search);
  const PREVIEW = "ASSIGNMENT_ID_NOT_AVAILABLE";
  const assignmentId = params.get("assignmentId");
  // MTurk's own parameters decide preview too, whatever the server rendered.
  const preview = config.mode === "preview" ||
    (config.mode === "mturk" && (!assignmentId || assignmentId === PREVIEW));
  const submitButton = document.getElementById("submit");
  const messageBox = document.getElementById("message");
  let busy = false;

  function message(text, kind) {
    messageBox.textContent = text;
    messageBox.className = kind || "";
  }

  function externalSubmit(answerId) {
    // Mechanical Turk takes the assignment back through a plain form POST from the iframe.
    const form = document.createElement("form");
    form.method = "POST";
    form.action = config.turk_submit_to + "/mturk/externalSubmit";
    for (const [name, value] of [["assignmentId", params.get("assignmentId")],
                                 ["answer", String(answerId)]]) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.appendChild(input);
    }
    document.body.appendChild(form);
    form.submit();
  }

  function finishLocal(result) {
    const done = document.createElement("p");
    done.className = "done";
    if (result.next_url) {
      done.append("Thank you, your answer is stored. ");
      const next = document.createElement("a");
      next.href = result.next_url;
      next.id = "next-task";
      next.textContent = "Next task";
      done.append(next);
    } else {
      done.textContent = "Thank you, your answer is stored. You have no tasks left.";
    }
    messageBox.replaceChildren(done);
    messageBox.className = "ok";
  }

  /* payload: the task's answer fields; check(): an error message or "" */
  async function submit(payload) {
    if (busy) return;
    if (preview || !config.can_submit) {
      message(config.reason || "This page cannot be submitted.", "error");
      return;
    }
    busy = true;
    submitButton.disabled = true;
    message("Sending…", "");
    try {
      const body = Object.assign({}, payload, {
        token: config.token,
        duration_ms: Math.round(performance.now()),
      });
      const response = await fetch(config.submit_url, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify(body),
        credentials: "omit",
      });
      const result = await response.json();
      if (!response.ok) {
        throw new Error(result.error || "The answer was refused.");
      }
      document.body.classList.add("submitted");
      if (config.mode === "mturk") {
        message("Answer stored; handing the HIT back to Mechanical Turk…", "ok");
        externalSubmit(result.answer);
      } else {
        finishLocal(result);
      }
    } catch (error) {
      message(error.message || "The answer could not be sent; try again.", "error");
      submitButton.disabled = false;
      busy = false;
    }
  }

  if (preview) submitButton.disabled = true;
  window.FineHit = {config, preview, message, submit, submitButton};
})();
