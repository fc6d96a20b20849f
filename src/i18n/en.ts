// English: every shopper-facing string (hosted pages, diagnostics, the page footer, the sign-in
// mail). The shape of this catalogue is the type every other one must match (see messages.ts).
// A message that wraps markup around a value takes the value and returns the pieces in order
// (`Rich`): the page's `html` tag escapes the text pieces and keeps the markup it passed in.
import type { ErrorCode } from '../errors.ts';
import type { PluralForms, Rich } from './plural.ts';

/** What a shopper reads on an error page: a title and one or two sentences (never the API's `detail`). */
type ProblemWords = { title: string; text: string };

export const en = {
  /** BCP 47 tag for Intl date formatting (day month year, as read in this language). */
  dateLocale: 'en-GB',
  layout: {
    helpWithCode: 'Need help? Quote these to support:',
    help: 'Need help? Quote this reference to support:',
    errorCode: 'Error code',
    reference: 'Reference',
    contact: (contact: unknown): Rich => ['Need help? Contact ', contact, ' and quote this reference:'],
    contactWithCode: (contact: unknown): Rich => ['Need help? Contact ', contact, ' and quote these:'],
  },
  time: {
    today: 'today',
    yesterday: 'yesterday',
    onDate: (date: string) => `on ${date}`,
    dayAtClock: (day: string, clock: string) => `${day} at ${clock}`,
    justNow: 'just now',
  },
  units: {
    second: { one: 'second', other: 'seconds' },
    minute: { one: 'minute', other: 'minutes' },
    hour: { one: 'hour', other: 'hours' },
  } satisfies Record<string, PluralForms>,
  confirm: {
    title: (store: string) => `Sign in to ${store}`,
    intro: 'Press the button to finish signing in on this device.',
    button: 'Continue',
  },
  signIn: {
    title: (store: string) => `Sign in to ${store}`,
    intro: "Enter the email you used at checkout. We'll send you a link and a code — no password needed.",
    emailLabel: 'Email',
    submit: 'Email me a sign-in link',
    invalidEmail: 'That does not look like an email address. Check it and try again, like name@example.com.',
    invalidReturnTo: "We can't send you back to the page you came from, so after signing in you will land on the shop's home page.",
  },
  checkEmail: {
    title: 'Check your email',
    sentTo: (email: unknown): Rich => ['We sent a sign-in link to ', email, '.'],
    notYou: 'Not you?',
    changeIt: 'Change it',
    onItsWay: 'If you asked for a sign-in link, it is on its way.',
    otherDevice: (sixDigit: unknown): Rich => ['Reading mail on another device? Enter the ', sixDigit, ' code from the email here.'],
    sixDigit: '6-digit',
    emailLabel: 'Email',
    codeLabel: '6-digit code',
    submit: 'Sign in',
    didntGet: "Didn't get it? Check your spam folder.",
    didntGetOrResend: "Didn't get it? Check your spam folder, or send it again.",
    sendAgain: 'Send it again',
    useDifferentEmail: 'Use a different email',
    askNewLink: 'Ask for a new link',
    invalidEmail: 'Enter the email address the code was sent to, like name@example.com.',
    wrongCode:
      'That code is not right. Check that it is from the newest email we sent. After a few more wrong tries the code stops working; then ask for a new one.',
    codeBurned:
      'This code has had too many wrong tries and no longer works. The link in the same email still does, or ask for a new email.',
    sendNewCode: 'Email me a new code',
  },
  cookieBlocked: {
    title: 'Your browser blocked our sign-in cookie',
    linkNotUsed: (not: unknown): Rich => ['Signing in needs one first-party cookie on this site. Your link has ', not, ' been used.'],
    codeNotUsed: (not: unknown): Rich => ['Signing in needs one first-party cookie on this site. Your code has ', not, ' been used.'],
    not: 'not',
    choose: 'What you can do:',
    allowThenRetry: "Allow cookies for this site in your browser's privacy settings (or leave private browsing), then press “Try again”.",
    allowThenReopen:
      "Allow cookies for this site in your browser's privacy settings (or leave private browsing), then open the link in the email again.",
    elsewhere: (store: string, address: unknown): Rich => [
      `Or use another browser or device that keeps cookies: open the link from the same email there, or type the 6-digit code and your email address into ${store}'s code page at `,
      address,
      '.',
    ],
    tryAgain: 'Try again',
    diagnostics: 'Check what this browser does with cookies',
  },
  expired: {
    linkTitle: 'This sign-in link has expired',
    codeTitle: 'This code has expired',
    link: (when: unknown): Rich => ['Sign-in links work for a short time after they are sent; this one expired ', when, '.'],
    code: (when: unknown): Rich => ['Codes work for a short time after they are sent; this one expired ', when, '.'],
    sendToSame: 'We can send a fresh one to the same address.',
    freshLink: 'Send me a fresh link',
    freshCode: 'Send me a fresh code',
  },
  used: {
    title: 'This sign-in was already used',
    link: (when: unknown): Rich => [
      'This link was used ',
      when,
      '. Each link works once, so that a forwarded email or a screenshot cannot sign anyone else in.',
    ],
    code: (when: unknown): Rich => [
      'This code was used ',
      when,
      '. Each code works once, so that a forwarded email or a screenshot cannot sign anyone else in.',
    ],
    newEmail: 'Send me a new sign-in email',
  },
  diagnostics: {
    title: 'Sign-in diagnostics',
    noCookies: 'This browser does not keep cookies for this site.',
    noCookiesAdvice:
      'Signing in needs one first-party cookie: allow cookies for this site in your browser’s privacy settings, or leave private browsing.',
    notSignedIn: (signIn: unknown): Rich => ['Cookies work, but you are not signed in here. ', signIn, ' to continue.'],
    signIn: 'Sign in',
    allGood: 'Cookies work and you are signed in.',
    sessionCookieArrived: 'Session cookie arrived',
    testCookieKept: 'Browser keeps a test cookie',
    sessionLive: 'Session is live',
    storefront: 'Storefront',
    time: 'Time',
    yes: 'yes',
    no: 'no',
    copyIntro: (to: unknown): Rich => ['Copy this and send it to ', to, ':'],
    support: 'support',
    copyLabel: 'Facts for support',
  },
  mail: {
    needHelp: (contact: unknown): Rich => ['Need help? Contact ', contact, '.'],
    subject: (store: string) => `Your sign-in link for ${store}`,
    title: (store: string) => `Sign in to ${store}`,
    openLink: 'Open this link to sign in:',
    button: 'Sign in',
    buttonFallback: 'If the button does not work, copy this link into your browser:',
    orCode: 'Or enter this code:',
    validLink: (duration: string) => `The link works once, for ${duration}.`,
    validLinkAndCode: (duration: string) => `The link and the code work once, for ${duration}.`,
    preheaderLink: (store: string, duration: string) => `Your sign-in link for ${store}, valid ${duration}.`,
    preheaderLinkAndCode: (store: string, duration: string) => `Your sign-in link and code for ${store}, valid ${duration}.`,
    ignore: "If you didn't ask to sign in, you can ignore this email.",
  },
  /** The mail that confirms an address a signed-in shopper added (same layout as the sign-in mail). */
  addressMail: {
    needHelp: (contact: unknown): Rich => ['Need help? Contact ', contact, '.'],
    subject: (store: string) => `Confirm your email address for ${store}`,
    title: (store: string) => `Add this address to your ${store} account`,
    openLink: 'Open this link to confirm it:',
    button: 'Confirm this address',
    buttonFallback: 'If the button does not work, copy this link into your browser:',
    orCode: 'Or enter this code:',
    validLink: (duration: string) => `The link works once, for ${duration}.`,
    validLinkAndCode: (duration: string) => `The link and the code work once, for ${duration}.`,
    preheaderLink: (store: string, duration: string) => `Confirm your address for ${store}, valid ${duration}.`,
    preheaderLinkAndCode: (store: string, duration: string) => `Confirm your address for ${store}: link and code, valid ${duration}.`,
    ignore: "If you didn't add this address, you can ignore this email: nothing changes.",
  },
  /** The notice to the old address when another one became primary, with its "this wasn't me" link. */
  changeMail: {
    needHelp: (contact: unknown): Rich => ['Need help? Contact ', contact, '.'],
    subject: (store: string) => `Your main email address for ${store} was changed`,
    title: (store: string) => `Your main address for ${store} was changed`,
    openLink: "Another address is now your account's main one. If this wasn't you, open this link to undo it and sign out every device:",
    button: "This wasn't me",
    buttonFallback: 'If the button does not work, copy this link into your browser:',
    orCode: 'Or enter this code:',
    validLink: (duration: string) => `The link works once, for ${duration}.`,
    validLinkAndCode: (duration: string) => `The link works once, for ${duration}.`,
    preheaderLink: (store: string, duration: string) => `Your main address for ${store} was changed. Not you? Undo it within ${duration}.`,
    preheaderLinkAndCode: (store: string, duration: string) =>
      `Your main address for ${store} was changed. Not you? Undo it within ${duration}.`,
    ignore: 'If you made this change, you can ignore this email.',
  },
  /** The shopper's addresses page, the confirm page of an address link, and the "this wasn't me" page. */
  addresses: {
    title: 'Your email addresses',
    intro: 'Purchases made with any confirmed address open when you are signed in with any of them.',
    primary: 'main address',
    verified: 'confirmed',
    unverified: 'not confirmed yet',
    makePrimary: 'Make main address',
    remove: 'Remove',
    addLabel: 'Add an address',
    addButton: 'Send a confirmation email',
    sent: (email: unknown): Rich => ['We sent a link and a code to ', email, '. Open the link, or enter the code here.'],
    codeLabel: 'Code from the email',
    verifyButton: 'Confirm',
    confirmTitle: 'Confirm this address',
    confirmIntro: (email: unknown, store: unknown): Rich => [
      'Add ',
      email,
      ' to your account at ',
      store,
      '? Purchases made with it will open when you are signed in.',
    ],
    confirmButton: 'Confirm address',
    mergeNotice: (email: unknown): Rich => [
      'This address already has its own account here. Confirming joins the two accounts into one: purchases, sign-ins and devices of ',
      email,
      ' and of the account that added it are then together.',
    ],
    confirmed: 'Address confirmed',
    confirmedText: 'Purchases made with this address now open when you are signed in.',
    revertTitle: 'Undo the change of your main address',
    revertIntro: (old: unknown, changed: unknown): Rich => [
      'Your main address was changed from ',
      old,
      ' to ',
      changed,
      '. If this was not you, undo it: your old address becomes the main one again, the other is removed, and every device is signed out.',
    ],
    revertButton: "This wasn't me — undo it",
    reverted: 'The change was undone',
    revertedText: 'Your main address is back, and every device was signed out. Sign in again with your main address.',
  },
  /**
   * Error pages of the generic problem path, in the shopper's words: one entry per error code
   * (a code without one is a type error here). The API's problem+json keeps its own title and detail.
   */
  problems: {
    invalid_request: {
      title: 'Something in that request was not right',
      text: 'We could not read what the page sent. Go back and try again; if it keeps happening, contact support.',
    },
    invalid_email: { title: 'That email address does not look right', text: 'Check it and try again, like name@example.com.' },
    invalid_return_to: {
      title: "We can't take you back to that page",
      text: 'The page you came from is not part of this shop. Sign in from here and you will land on the shop’s home page.',
    },
    invalid_magic_link: {
      title: 'This sign-in link does not work',
      text: 'The link may be incomplete: some email apps break long links. Ask for a new sign-in email and open the link straight from it.',
    },
    invalid_code: { title: 'That code is not right', text: 'Check that it is the code from the newest email we sent, then try again.' },
    invalid_resource: {
      title: 'This page cannot be checked',
      text: 'Something in the page’s address is not right. Go back to the shop and open the page from there.',
    },
    invalid_webhook_url: {
      title: 'This is a setting for the shop’s team',
      text: 'Nothing here needs you. Go back to the shop and carry on.',
    },
    cookie_blocked: {
      title: 'Your browser blocked our sign-in cookie',
      text: "Signing in needs one cookie on this site. Allow cookies for this site in your browser's privacy settings (or leave private browsing), then try again.",
    },
    bad_path: {
      title: 'This address cannot be checked',
      text: 'Something in the page’s address is not right. Go back to the shop and open the page from there.',
    },
    not_signed_in: {
      title: 'Please sign in first',
      text: 'This page is for signed-in customers. Sign in with the email you used at checkout.',
    },
    unauthorized: { title: 'We could not tell who is asking', text: 'Sign in again with the email you used at checkout.' },
    csrf_rejected: {
      title: 'This form has expired',
      text: 'For your safety we only take this form from the shop’s own pages. Open the sign-in page again and send it from there.',
    },
    wrong_tenant: {
      title: 'That belongs to another shop',
      text: 'You are on a different shop’s site. Sign in here with the email you used at this shop.',
    },
    insufficient_scope: {
      title: 'This is not for shoppers',
      text: 'This address is for the shop’s own systems. Go back to the shop and carry on.',
    },
    wrong_audience: {
      title: 'This is not for shoppers',
      text: 'This address is for the shop’s own systems. Go back to the shop and carry on.',
    },
    not_found: { title: "We can't find that page", text: 'The address may be mistyped, or the page may have moved.' },
    unknown_handle: {
      title: "We can't find that shop",
      text: 'The address may be mistyped. Go back to the shop and open the page from there.',
    },
    session_not_found: { title: 'That sign-in has ended', text: 'It may have been signed out already. Sign in again if you need to.' },
    method_not_allowed: {
      title: 'That did not work',
      text: 'This page cannot be used that way. Go back to the shop and try again from there.',
    },
    used_magic_link: {
      title: 'This sign-in was already used',
      text: 'Each link and code works once, so that a forwarded email cannot sign anyone else in. Ask for a new sign-in email.',
    },
    link_still_valid: {
      title: 'Your sign-in link still works',
      text: 'Open it from the email we sent you. If you cannot find it, ask for a new one.',
    },
    idempotency_in_progress: {
      title: 'We are still on it',
      text: 'Your last request is still being handled. Wait a moment, then try again.',
    },
    expired_magic_link: {
      title: 'This sign-in link has expired',
      text: 'Sign-in links work for a short time only. Ask for a new sign-in email.',
    },
    payload_too_large: {
      title: 'That was too much to send',
      text: 'What the page sent is larger than we accept. Shorten it and try again.',
    },
    unsupported_media_type: {
      title: 'That did not work',
      text: 'Your browser sent the form in a way we do not accept. Go back and try again.',
    },
    idempotency_key_reused: {
      title: 'That did not work',
      text: 'We got two different requests under the same reference. Go back and try again.',
    },
    rate_limited: {
      title: 'Too many tries for now',
      text: 'To keep sign-ins safe, we limit how often this can be done. Please wait a little.',
    },
    daily_limit_reached: {
      title: 'That is all for today',
      text: 'This was asked for too often today. To keep sign-ins safe, it works again later.',
    },
    code_attempts_exceeded: {
      title: 'Too many wrong codes',
      text: 'The code stops working after too many wrong tries. Use the link in the same email, or ask for a new sign-in email.',
    },
    internal_error: { title: 'Something went wrong on our side', text: 'It is not something you did. Please try again in a moment.' },
    service_unavailable: { title: 'Sign-in is briefly unavailable', text: 'We will be back in a moment. Please try again shortly.' },
    pending_expired: {
      title: 'This sign-in waited too long',
      text: 'The screen where you asked to sign in stopped waiting. Ask for a new sign-in email there.',
    },
    pending_rejected: {
      title: 'This sign-in was stopped',
      text: 'A wrong number was picked on the other device, so for your safety nothing was signed in. Ask for a new sign-in email.',
    },
    number_mismatch: {
      title: 'That was not the number on your other screen',
      text: 'For your safety, this sign-in was stopped and nothing was signed in. Ask for a new sign-in email and pick the number your screen shows.',
    },
    invalid_handoff: {
      title: 'This order link does not work',
      text: 'The link may be incomplete or from another shop. Open it again from your receipt, or sign in with the email you used at checkout.',
    },
    step_up_required: {
      title: 'Please sign in with your email',
      text: 'You opened one order from a checkout link. To see your other purchases, sign in with the email you used at checkout.',
    },
    passkey_challenge_invalid: {
      title: 'This passkey request has expired',
      text: 'Passkey requests work once and for a few minutes. Please try again.',
    },
    passkey_rejected: {
      title: 'That passkey did not sign you in',
      text: 'It may have been removed, or it belongs to another shop. Try again, or sign in with your email.',
    },
    email_not_found: { title: 'That address is not one of yours', text: 'Check the address, or add it again on your addresses page.' },
    email_is_primary: {
      title: 'Your main address cannot be removed',
      text: 'Make another confirmed address your main one first, then remove this one.',
    },
    email_not_verified: {
      title: 'That address is not confirmed yet',
      text: 'Open the link or enter the code we emailed to it, then try again.',
    },
    invalid_email_link: {
      title: 'This link does not work',
      text: 'It may be incomplete, already used, or replaced by a newer email. Add the address again for a new link.',
    },
    expired_email_link: {
      title: 'This link has expired',
      text: 'Add the address again for a new link. If you need to undo a change of your main address, contact support.',
    },
  } satisfies Record<ErrorCode, ProblemWords>,
  /** The ways on from such a page. */
  problemPage: {
    tryAgain: 'Try again',
    tryAgainIn: (wait: string) => `You can try again in ${wait}.`,
    signIn: 'Go to the sign-in page',
    home: (store: string) => `Back to ${store}`,
    openAt: (address: string) => `Open ${address}`,
    unreadable: (fields: unknown): Rich => ['What could not be read: ', fields, '.'],
  },
  /** The page a support or content report form lands on. */
  reportSent: {
    supportTitle: 'We got your report',
    contentTitle: 'Report received',
    supportThanks: 'Thank you. Our support team has your report.',
    contentThanks: 'Thank you. We will review the content you reported.',
    number: (id: unknown, reference: unknown): Rich => ['Your report number is ', id, reference, '. Quote it if you contact us again.'],
    reference: (requestId: unknown): Rich => [' (reference ', requestId, ')'],
    backTo: (store: string) => `Back to ${store}`,
  },
  pending: {
    pick: (number: unknown): Rich => ["On your other device you'll be asked to pick ", number, '.'],
    howTo: 'Open the link from the email there and pick this number. This page then signs you in by itself.',
    checkAgain: 'I picked it — continue',
    signedIn: 'Signed in. Taking you back…',
    rejected:
      'A different number was picked on the other device, so this sign-in was stopped and its link no longer works. If that was not you, someone else opened your email. Ask for a new email to try again.',
    ended: 'This sign-in can no longer finish here: its link expired or was already used. Ask for a new email to try again.',
    newEmail: 'Send me a new sign-in email',
  },
  otherScreen: {
    continueHere: 'Continue here',
    title: 'Sign in on my other screen',
    intro:
      'Did you ask to sign in on another screen, like a laptop or another browser? Pick the number that screen shows, and it signs in. If no screen of yours shows a number, do not pick one.',
    pick: (number: string) => `Pick ${number}`,
  },
  inApp: {
    advice:
      "You opened this link inside an app. A sign-in made in the app's browser stays in that app. If you asked to sign in in your browser, pick the number it shows below; or open this link in your browser (the app's menu: “Open in browser”).",
    adviceWithoutChoice:
      "You opened this link inside an app. A sign-in made in the app's browser stays in that app: to sign in in your browser, open this link there (the app's menu: “Open in browser”).",
    continueInApp: 'Continue in this app instead',
  },
  approvedElsewhere: {
    title: 'Done: your other screen is signing in',
    body: 'The screen where you asked to sign in continues by itself in a moment. Nothing was signed in on this device.',
  },
  numberMismatch: {
    title: 'That was not the number on your other screen',
    body: 'For your safety, this sign-in was stopped and the link no longer works. Nothing was signed in. If you asked to sign in, ask for a new email and pick the number your screen shows.',
    newEmail: 'Send me a new sign-in email',
  },
  pendingEnded: {
    title: 'Your other screen is no longer waiting',
    body: 'The sign-in on your other screen has finished or expired. You can still sign in on this device with this link.',
  },
  /** Passkeys: the sign-in page's passkey part, and the offer after an email sign-in. */
  passkeys: {
    signInButton: 'Sign in with a passkey',
    signInIntro: 'Created a passkey here before? Use it instead of an email.',
    working: 'Follow the steps your browser shows…',
    signInFailed: 'That passkey did not sign you in. Try again, or sign in with your email.',
    offerTitle: 'Sign in faster next time',
    offerIntro:
      'Create a passkey for this shop on this device. Next time you sign in with your fingerprint, face or screen lock — no email needed.',
    offerButton: 'Create a passkey',
    offerDone: 'Your passkey is ready. Taking you on…',
    offerFailed: 'No passkey was created. You can try again, or continue without one.',
    notNow: 'Not now',
  },
  /** Deleting the shopper's account at a storefront (erasure): the page, its confirmation and the code mail. */
  erasure: {
    title: (store: string) => `Delete your account at ${store}`,
    signInFirst: 'To delete your account, sign in with your email first. We then email you a code to confirm.',
    signIn: 'Sign in',
    signedInAs: (email: unknown): Rich => ['You are signed in as ', email, '.'],
    whatGoes:
      'Deleting your account signs you out everywhere and removes your sign-ins, passkeys, purchase access at this shop, order links and the personal details of your support messages.',
    whatStays:
      'A record that events happened (for security and our obligations) is kept without your email address, IP address or browser details. The shop may keep its own records of your orders.',
    download: 'Download what we hold about you (JSON) first',
    sendCode: 'Email me a code to confirm',
    codeSent: (email: unknown): Rich => ['We sent a 6-digit code to ', email, '. It is valid for 15 minutes.'],
    codeLabel: '6-digit code',
    confirm: 'Delete my account',
    sendNewCode: 'Send a new code',
    wrongCode: 'That code is not right, or it has expired. Use the newest code we emailed, or ask for a new one.',
    tooManyTries: 'That code had too many wrong tries. Ask for a new code.',
    orderOnly: 'You opened this from an order link. Sign in with your email to delete your account.',
    deletedTitle: 'Your account is deleted',
    deletedBody: (store: string) =>
      `Your account at ${store} is deleted and you are signed out. If you sign in again with the same address, you start as a new customer.`,
    backToShop: 'Back to the shop',
    mailSubject: (store: string) => `Your code to delete your account at ${store}`,
    mailIntro: (store: string) => `Someone — hopefully you — asked to delete your account at ${store}. To confirm, enter this code:`,
    mailValidity: 'The code is valid for 15 minutes.',
    mailIgnore: 'If you did not ask for this, ignore this email: nothing is deleted without the code.',
  },
};

/** The shape every catalogue matches: a missing or extra key is a type error. */
export type Messages = typeof en;
