// The copy button of a shown-once secret (views/partials/secret.ejs), and focus on that secret so
// keyboard and screen-reader users land on it. Loaded by portal pages; no inline script anywhere.
'use strict';

function statusFor(id) {
  return document.querySelector('[data-copy-status="' + id + '"]');
}

async function copySecret(button) {
  const id = button.getAttribute('data-copy');
  const secret = document.getElementById(id);
  const status = statusFor(id);
  try {
    await navigator.clipboard.writeText(secret.textContent.trim());
    if (status) status.textContent = 'Copied to the clipboard.';
  } catch {
    // No clipboard access (an old browser, or permission refused): select it for a manual copy.
    const range = document.createRange();
    range.selectNodeContents(secret);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    if (status) status.textContent = 'Press Ctrl+C (or ⌘+C) to copy the selected text.';
  }
}

document.addEventListener('DOMContentLoaded', function () {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.hidden = false;
    button.addEventListener('click', function () { void copySecret(button); });
  }
  const secret = document.querySelector('[data-focus]');
  if (secret) secret.focus();
});
