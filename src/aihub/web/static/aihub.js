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

// --- Resumable uploads of dataset files (tus 1.0) --------------------------------------
// A small tus client for the version page (docs/uploads.md): the file is created with a
// POST, sent in chunks by PATCH (each with its sha256 where the browser can compute it),
// and resumed after a lost connection (HEAD says where the upload stands) or a reload (the
// upload's address is kept in localStorage under the file's name, size and date). Once
// complete, its id is posted to the page's attach form. Without JavaScript the same form
// is a plain multipart upload.
const TUS_CHUNK_BYTES = 8 * 1024 * 1024;
const TUS_MAX_TRIES = 8;

class TusError extends Error {
  constructor(message, retry) {
    super(message);
    this.retry = retry;
  }
}

function tusText(form, name, values) {
  let text = form.dataset["msg" + name] || name;
  for (const [key, value] of Object.entries(values || {})) {
    text = text.split("{" + key + "}").join(String(value));
  }
  return text;
}

function tusSize(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return (unit === 0 ? String(value) : value.toFixed(1)) + " " + units[unit];
}

function tusBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

// crypto.subtle exists only in secure contexts (HTTPS, localhost): elsewhere the chunk is
// sent without a checksum and the hub's hash of the whole file still guards it.
async function tusChecksum(buffer) {
  if (!(window.crypto && window.crypto.subtle)) return null;
  const digest = await window.crypto.subtle.digest("SHA-256", buffer);
  return "sha256 " + tusBase64(new Uint8Array(digest));
}

function tusSleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("aborted", "AbortError"));
    });
  });
}

async function tusDetail(response) {
  try {
    const data = await response.json();
    return data.detail || response.statusText;
  } catch (error) {
    return response.status + " " + response.statusText;
  }
}

// Network errors, 5xx, 409 (the offset moved), 423 (busy) and 429 are worth another try.
function tusRetryable(status) {
  return status >= 500 || status === 409 || status === 423 || status === 429;
}

function tusClient(form, token, signal) {
  const request = async (method, url, headers, body) => {
    let response;
    try {
      response = await fetch(url, {
        method, body, signal, credentials: "same-origin", cache: "no-store",
        headers: Object.assign({ "Tus-Resumable": "1.0.0", "X-CSRF-Token": token }, headers),
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new TusError(String(error.message || error), true);
    }
    if (!response.ok && response.status !== 204) {
      throw new TusError(await tusDetail(response), tusRetryable(response.status));
    }
    return response;
  };
  return {
    async create(file) {
      const name = tusBase64(new TextEncoder().encode(file.name));
      const response = await request("POST", form.dataset.tusEndpoint, {
        "Upload-Length": String(file.size), "Upload-Metadata": "filename " + name,
      });
      return response.headers.get("Location");
    },
    async offset(url) {
      const response = await request("HEAD", url, {});
      return parseInt(response.headers.get("Upload-Offset"), 10);
    },
    async patch(url, offset, buffer) {
      const headers = { "Upload-Offset": String(offset),
                        "Content-Type": "application/offset+octet-stream" };
      const checksum = await tusChecksum(buffer);
      if (checksum) headers["Upload-Checksum"] = checksum;
      const response = await request("PATCH", url, headers, buffer);
      return parseInt(response.headers.get("Upload-Offset"), 10);
    },
    remove(url) {
      return request("DELETE", url, {}).catch(() => {});
    },
  };
}

function setUpTus(form) {
  const input = form.querySelector("input[type=file]");
  const pathInput = form.querySelector("input[name=path]");
  const box = form.querySelector("[data-tus-progress]");
  const attach = document.getElementById(form.dataset.attachForm || "");
  const tokenInput = form.querySelector("input[name=csrf_token]");
  if (!input || !box || !attach || !tokenInput || !window.fetch || !window.localStorage) return;
  const bar = box.querySelector("progress");
  const status = box.querySelector("[data-tus-status]");
  const start = form.querySelector("[data-tus-start]");
  let running = null; // { controller, url, key }

  const say = (text, alert) => {
    status.textContent = text;
    status.setAttribute("role", alert ? "alert" : "status");
    status.classList.toggle("field-error", Boolean(alert));
  };

  async function locate(client, file, key) {
    const known = localStorage.getItem(key);
    if (known) {
      try {
        const offset = await client.offset(known);
        running.url = known;
        if (offset > 0) say(tusText(form, "Resume", { done: tusSize(offset) }));
        return offset;
      } catch (error) {
        if (error.retry) throw error;
        localStorage.removeItem(key); // expired, failed or not ours: start again
      }
    }
    running.url = await client.create(file);
    localStorage.setItem(key, running.url);
    return 0;
  }

  async function send(client, file, offset, signal) {
    const chunk = parseInt(form.dataset.chunkBytes || "", 10) || TUS_CHUNK_BYTES;
    const began = performance.now();
    const first = offset;
    let tries = 0;
    let lost = false;
    while (offset < file.size) {
      try {
        if (lost) offset = await client.offset(running.url);
        lost = false;
        const buffer = await file.slice(offset, Math.min(offset + chunk, file.size)).arrayBuffer();
        offset = await client.patch(running.url, offset, buffer);
        tries = 0;
        bar.value = offset;
        const seconds = Math.max((performance.now() - began) / 1000, 0.001);
        say(tusText(form, "Progress", { done: tusSize(offset), total: tusSize(file.size),
                                        speed: tusSize(Math.round((offset - first) / seconds)) }));
      } catch (error) {
        tries += 1;
        if (!error.retry || tries > TUS_MAX_TRIES) throw error;
        const wait = Math.min(30, 2 ** (tries - 1));
        say(tusText(form, "Retry", { seconds: wait }));
        await tusSleep(wait * 1000, signal);
        lost = true;
      }
    }
  }

  async function run(file) {
    const controller = new AbortController();
    const key = ["aihub-tus", form.dataset.tusEndpoint, file.name, file.size,
                 file.lastModified].join(":");
    running = { controller, url: null, key };
    const client = tusClient(form, tokenInput.value, controller.signal);
    if (start) start.disabled = true;
    box.hidden = false;
    bar.max = Math.max(file.size, 1);
    bar.value = 0;
    say("");
    try {
      const offset = await locate(client, file, key);
      bar.value = offset;
      await send(client, file, offset, controller.signal);
      localStorage.removeItem(key);
      bar.value = bar.max;
      say(tusText(form, "Done"));
      attach.querySelector("[name=upload_id]").value = running.url.split("/").pop();
      attach.querySelector("[name=path]").value = pathInput ? pathInput.value : "";
      attach.submit();
    } catch (error) {
      if (controller.signal.aborted) return;
      running = null;
      say(tusText(form, "Failed", { reason: error.message }), true);
      if (start) start.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    const file = input.files && input.files[0];
    if (!file) return; // the browser says the field is required
    event.preventDefault();
    if (!running) run(file);
  });
  const cancel = box.querySelector("[data-tus-cancel]");
  if (cancel) {
    cancel.addEventListener("click", () => {
      if (!running) return;
      const { controller, url, key } = running;
      running = null;
      controller.abort();
      if (url) tusClient(form, tokenInput.value, new AbortController().signal).remove(url);
      localStorage.removeItem(key);
      bar.value = 0;
      say(tusText(form, "Cancelled"));
      if (start) start.disabled = false;
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-tus-upload]").forEach(setUpTus);
});
