// The pages' passkey script, served from our own origin (GET /_edge/visitor/assets/passkeys.js; the
// pages that load it add `script-src 'self'; connect-src 'self'` to their CSP, nothing inline):
// @simplewebauthn/browser's own build followed by the few lines that drive it. On the sign-in page
// (`[data-passkey-signin]`) it offers the browser's passkeys in the email field's autofill
// (conditional UI) and behind a button; on the offer page after an email sign-in
// (`[data-passkey-offer]`) it registers one; wherever it loads (the link page too) it notes in a
// cookie whether the browser has a platform authenticator, so a sign-in there lands on the offer. The words come from the page (data attributes), in the
// page's language. Without JavaScript or WebAuthn the passkey parts stay hidden.
import { createHash } from 'node:crypto';
import { WEBAUTHN_BROWSER } from './webauthn-browser.ts';

const DRIVER = `'use strict';
(function () {
  var W = window.SimpleWebAuthnBrowser;
  if (!W || !window.fetch || !W.browserSupportsWebAuthn()) return;
  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (json) { return { status: response.status, body: json }; });
    });
  }
  function say(box, key) {
    var status = box.querySelector('[data-passkey-status]');
    status.textContent = box.getAttribute('data-' + key);
    status.setAttribute('role', key === 'working' || key === 'done' ? 'status' : 'alert');
  }
  function aborted(error) { return error && error.name === 'AbortError'; }

  var signIn = document.querySelector('[data-passkey-signin]');
  if (signIn) {
    var returnTo = signIn.getAttribute('data-return-to');
    var start = function (autofill) {
      var answered = false;
      return post('/v2/visitor/auth/passkey/options').then(function (options) {
        if (options.status !== 200) throw new Error(options.body && options.body.code);
        if (!autofill) say(signIn, 'working');
        return W.startAuthentication({ optionsJSON: options.body, useBrowserAutofill: autofill });
      }).then(function (credential) {
        answered = true;
        return post('/v2/visitor/auth/passkey/verify', { credential: credential, returnTo: returnTo });
      }).then(function (answer) {
        if (answer.status !== 200) throw new Error(answer.body && answer.body.code);
        window.location.assign(answer.body.returnTo);
      }).catch(function (error) {
        // The autofill request says nothing until a passkey was picked (it ends quietly when the
        // browser has none, or when the button starts its own: AbortError).
        if (aborted(error) || (autofill && !answered)) return;
        say(signIn, 'failed');
      });
    };
    signIn.hidden = false;
    signIn.querySelector('[data-passkey-button]').addEventListener('click', function () { start(false); });
    W.browserSupportsWebAuthnAutofill().then(function (supported) { if (supported) start(true); });
  }

  // Whether this browser can make a passkey, for the server: a sign-in by link or code here then
  // lands on the offer (a hint the server reads, no secret; __Host-: this host only).
  W.platformAuthenticatorIsAvailable().then(function (available) {
    if (available) document.cookie = '__Host-visitor_passkey=1; Path=/; Max-Age=86400; Secure; SameSite=Lax';
  });

  var offer = document.querySelector('[data-passkey-offer]');
  if (offer) {
    var button = offer.querySelector('[data-passkey-button]');
    offer.hidden = false;
    button.addEventListener('click', function () {
      button.disabled = true;
      say(offer, 'working');
      post('/v2/visitor/passkeys/registration/options').then(function (options) {
        if (options.status !== 200) throw new Error(options.body && options.body.code);
        return W.startRegistration({ optionsJSON: options.body });
      }).then(function (credential) {
        return post('/v2/visitor/passkeys/registration/verify', { credential: credential });
      }).then(function (answer) {
        if (answer.status !== 201) throw new Error(answer.body && answer.body.code);
        say(offer, 'done');
        window.location.assign(offer.getAttribute('data-return-to'));
      }).catch(function () {
        button.disabled = false;
        say(offer, 'failed');
      });
    });
  }
})();
`;

export const PASSKEY_SCRIPT = `${WEBAUTHN_BROWSER}\n${DRIVER}`;

/** Versioned by content, so the immutable answer of an older script is never used for a newer page. */
export const PASSKEY_SCRIPT_PATH = `/_edge/visitor/assets/passkeys.js?v=${createHash('sha256').update(PASSKEY_SCRIPT).digest('hex').slice(0, 12)}`;
