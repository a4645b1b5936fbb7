// SpiderGo dashboard: small enhancements that every page may use. Pages
// work without this file; it only adds copy buttons, which stay hidden
// without it.
"use strict";

for (const b of document.querySelectorAll("button.copy[hidden]")) b.hidden = false;

document.addEventListener("click", async (ev) => {
  const btn = ev.target.closest("button.copy");
  if (!btn) return;
  const src = document.getElementById(btn.dataset.copy);
  if (!src) return;
  const text = src.value !== undefined && src.tagName === "INPUT" ? src.value : src.textContent;
  const note = btn.parentElement.querySelector(".copied");
  try {
    await navigator.clipboard.writeText(text);
    if (note) note.textContent = "Copied.";
  } catch (e) {
    // Clipboard refused (an insecure origin, or permission): select the
    // text so that the user can copy it by hand.
    if (src.select) src.select();
    else {
      const range = document.createRange();
      range.selectNodeContents(src);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    }
    if (note) note.textContent = "Selected: press Ctrl+C (or ⌘C) to copy.";
  }
});
