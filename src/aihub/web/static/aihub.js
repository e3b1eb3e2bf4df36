// aihub's own script. Pages work without it; it adds what plain HTML cannot do.
"use strict";

// Forms that htmx sends answer a refusal (409: e.g. a third final selection; 422: bad
// input) with the fragment that says why: swap it in like a success, instead of
// htmx's default of showing nothing.
if (window.htmx) {
  window.htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "409|422|429", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false },
  ];
}

// A drop zone around a file input: dropping a file puts it in the input, which stays the
// way to choose a file with the keyboard or without JavaScript.
function setUpDropzone(zone) {
  const input = zone.querySelector("input[type=file]");
  if (!input) return;
  const over = (on) => (event) => {
    event.preventDefault();
    zone.classList.toggle("over", on);
  };
  zone.addEventListener("dragenter", over(true));
  zone.addEventListener("dragover", over(true));
  zone.addEventListener("dragleave", over(false));
  zone.addEventListener("drop", (event) => {
    over(false)(event);
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
}

// An upload form sent by XMLHttpRequest, for its progress bar. The answer is the
// submission's status fragment, which htmx then polls until the score is known; a refusal
// is shown above the form. The form itself is a plain multipart POST without this.
function setUpUpload(form) {
  const progress = form.querySelector("[data-progress]");
  const result = document.querySelector("[data-result]");
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", (event) => {
    if (!result || !window.FormData) return; // the plain POST does the work
    event.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    const token = form.querySelector("input[name=csrf_token]");
    if (token) xhr.setRequestHeader("X-CSRF-Token", token.value);
    if (progress) {
      progress.hidden = false;
      progress.value = 0;
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) progress.value = (100 * e.loaded) / e.total;
      });
    }
    const done = () => {
      if (button) button.disabled = false;
      if (progress) progress.hidden = true;
    };
    const failed = () => {
      const message = document.createElement("p");
      message.setAttribute("role", "alert");
      message.className = "field-error";
      message.textContent = form.dataset.failed || "Upload failed.";
      result.replaceChildren(message);
    };
    xhr.addEventListener("load", () => {
      done();
      // A whole page (logged out meanwhile, an expired form) is not a fragment to show.
      if (/^\s*<!doctype/i.test(xhr.responseText)) return failed();
      result.innerHTML = xhr.responseText;
      if (xhr.status === 201) form.reset();
      if (window.htmx) window.htmx.process(result);
    });
    xhr.addEventListener("error", () => {
      done();
      failed();
    });
    if (button) button.disabled = true;
    result.replaceChildren();
    xhr.send(new FormData(form));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-dropzone]").forEach(setUpDropzone);
  document.querySelectorAll("form[data-upload]").forEach(setUpUpload);
});
