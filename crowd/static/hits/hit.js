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

  /* The submission did not go through (no answer, or not ours: a proxy's or the server's
     error page): say so in words, never the parser's, keep the worker's choices and offer to
     send them again. */
  function notThrough(detail) {
    const text = document.createElement("span");
    text.textContent = "Your answer did not go through" + (detail ? " (" + detail + ")" : "") +
      ". Your selection is kept: try again. ";
    const retry = document.createElement("button");
    retry.type = "button";
    retry.id = "retry";
    retry.textContent = "Try again";
    // The Submit button's own handler: the task's current choices, checked again.
    retry.addEventListener("click", () => submitButton.click());
    messageBox.replaceChildren(text, retry);
    messageBox.className = "error";
  }

  /* The server's JSON answer, or null when the body is something else (an HTML error page). */
  async function answerOf(response) {
    const type = response.headers.get("Content-Type") || "";
    if (!type.includes("application/json")) return null;
    try {
      return await response.json();
    } catch (error) {
      return null;
    }
  }

  /* payload: the task's answer fields */
  async function submit(payload) {
    if (busy) return;
    if (preview || !config.can_submit) {
      message(config.reason || "This page cannot be submitted.", "error");
      return;
    }
    busy = true;
    submitButton.disabled = true;
    message("Sending…", "");
    let result = null;
    let response;
    try {
      const body = Object.assign({}, payload, {
        token: config.token,
        duration_ms: Math.round(performance.now()),
      });
      response = await fetch(config.submit_url, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify(body),
        credentials: "omit",
      });
      result = await answerOf(response);
    } catch (error) {
      response = null;  // no answer at all: the network, or a server that is down
    }
    if (!response || !result || !response.ok) {
      submitButton.disabled = false;  // the worker may submit again
      busy = false;
      if (!response) {
        notThrough("the connection failed");
      } else if (!result) {
        notThrough(response.ok ? "the server's answer was not understood"
                               : "the server answered with error " + response.status);
      } else if (result.error && response.status < 500) {
        message(result.error, "error");  // refused, with the server's reason
      } else {
        notThrough("the server answered with error " + response.status);
      }
      return;
    }
    document.body.classList.add("submitted");
    if (config.mode === "mturk") {
      message("Answer stored; handing the HIT back to Mechanical Turk…", "ok");
      externalSubmit(result.answer);
    } else {
      finishLocal(result);
    }
  }

  if (preview) submitButton.disabled = true;
  window.FineHit = {config, preview, message, submit, submitButton};
})();
