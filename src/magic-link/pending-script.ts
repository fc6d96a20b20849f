// The check-email page's one script, served from our own origin (GET /_edge/visitor/assets/pending.js;
// the page's CSP adds `script-src 'self'` only there). It asks GET /v2/visitor/auth/pending, which
// holds a waiting answer up to PENDING_HOLD_SECONDS, and finishes the sign-in without a reload once
// the other device approves it; the words it shows come from the page (data attributes), in the
// page's language. Without it the page's "continue" link reloads the page, which does the same.
import { createHash } from 'node:crypto';

export const PENDING_SCRIPT = `'use strict';
(function () {
  var box = document.querySelector('[data-pending][data-state="waiting"]');
  if (!box || !window.fetch) return;
  var status = box.querySelector('[data-pending-status]');
  function show(state) {
    box.setAttribute('data-state', state);
    status.textContent = box.getAttribute('data-' + state);
    if (state === 'signed-in') return;
    status.setAttribute('role', 'alert');
    box.querySelector('[data-pending-waiting]').hidden = true;
    box.querySelector('[data-pending-again]').hidden = false;
  }
  var failures = 0;
  function poll() {
    var started = Date.now();
    fetch('/v2/visitor/auth/pending', { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      })
      .then(function (answer) {
        failures = 0;
        var body = answer.body || {};
        if (answer.status === 200 && body.status === 'signed_in') {
          show('signed-in');
          window.location.assign(body.returnTo);
        } else if (answer.status === 200) {
          // Held up to 25 s by the server; never ask more than once a second.
          setTimeout(poll, Math.max(0, 1000 - (Date.now() - started)));
        } else if (body.code === 'pending_rejected') {
          show('rejected');
        } else if (body.code === 'pending_expired') {
          show('ended');
        } else if (body.code === 'rate_limited') {
          setTimeout(poll, 30000);
        }
      })
      .catch(function () {
        failures += 1;
        if (failures < 6) setTimeout(poll, 2000 * failures);
      });
  }
  poll();
})();
`;

/** Versioned by content, so the immutable answer of an older script is never used for a newer page. */
export const PENDING_SCRIPT_PATH = `/_edge/visitor/assets/pending.js?v=${createHash('sha256').update(PENDING_SCRIPT).digest('hex').slice(0, 12)}`;
