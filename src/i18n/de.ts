// Deutsch (formelles „Sie“): dieselben Schlüssel wie en.ts — ein fehlender oder zusätzlicher
// Schlüssel ist ein Typfehler (und test/i18n.test.ts schlägt fehl).
import type { Messages } from './en.ts';

export const de: Messages = {
  dateLocale: 'de-DE',
  layout: {
    helpWithCode: 'Brauchen Sie Hilfe? Nennen Sie dem Support diese Angaben:',
    help: 'Brauchen Sie Hilfe? Nennen Sie dem Support diese Referenz:',
    errorCode: 'Fehlercode',
    reference: 'Referenz',
    contact: (contact) => ['Brauchen Sie Hilfe? Wenden Sie sich an ', contact, ' und nennen Sie diese Referenz:'],
    contactWithCode: (contact) => ['Brauchen Sie Hilfe? Wenden Sie sich an ', contact, ' und nennen Sie diese Angaben:'],
  },
  time: {
    today: 'heute',
    yesterday: 'gestern',
    onDate: (date) => `am ${date}`,
    dayAtClock: (day, clock) => `${day} um ${clock}`,
    justNow: 'gerade eben',
  },
  units: {
    second: { one: 'Sekunde', other: 'Sekunden' },
    minute: { one: 'Minute', other: 'Minuten' },
    hour: { one: 'Stunde', other: 'Stunden' },
  },
  confirm: {
    title: (store) => `Bei ${store} anmelden`,
    intro: 'Drücken Sie die Schaltfläche, um die Anmeldung auf diesem Gerät abzuschließen.',
    button: 'Weiter',
  },
  signIn: {
    title: (store) => `Bei ${store} anmelden`,
    intro:
      'Geben Sie die E-Mail-Adresse ein, die Sie beim Kauf verwendet haben. Wir senden Ihnen einen Link und einen Code – ganz ohne Passwort.',
    emailLabel: 'E-Mail-Adresse',
    submit: 'Anmeldelink senden',
    invalidEmail: 'Das sieht nicht nach einer E-Mail-Adresse aus. Bitte prüfen Sie die Eingabe, zum Beispiel name@example.com.',
    invalidReturnTo:
      'Wir können Sie nicht zu der Seite zurückbringen, von der Sie kamen. Nach der Anmeldung landen Sie deshalb auf der Startseite des Shops.',
  },
  checkEmail: {
    title: 'Prüfen Sie Ihr Postfach',
    sentTo: (email) => ['Wir haben einen Anmeldelink an ', email, ' gesendet.'],
    notYou: 'Nicht Ihre Adresse?',
    changeIt: 'Ändern',
    onItsWay: 'Wenn Sie einen Anmeldelink angefordert haben, ist er unterwegs.',
    otherDevice: (sixDigit) => [
      'Lesen Sie Ihre E-Mails auf einem anderen Gerät? Geben Sie hier den ',
      sixDigit,
      ' Code aus der E-Mail ein.',
    ],
    sixDigit: '6-stelligen',
    emailLabel: 'E-Mail-Adresse',
    codeLabel: '6-stelliger Code',
    submit: 'Anmelden',
    didntGet: 'Nichts angekommen? Sehen Sie in Ihrem Spam-Ordner nach.',
    didntGetOrResend: 'Nichts angekommen? Sehen Sie in Ihrem Spam-Ordner nach oder lassen Sie sich die E-Mail erneut senden.',
    sendAgain: 'Erneut senden',
    useDifferentEmail: 'Andere E-Mail-Adresse verwenden',
    askNewLink: 'Neuen Link anfordern',
    invalidEmail: 'Geben Sie die E-Mail-Adresse ein, an die der Code gesendet wurde, zum Beispiel name@example.com.',
    wrongCode:
      'Dieser Code stimmt nicht. Prüfen Sie, ob er aus der neuesten E-Mail stammt. Nach einigen weiteren falschen Versuchen wird der Code ungültig; fordern Sie dann einen neuen an.',
    codeBurned:
      'Dieser Code wurde zu oft falsch eingegeben und gilt nicht mehr. Der Link in derselben E-Mail funktioniert weiterhin – oder fordern Sie eine neue E-Mail an.',
    sendNewCode: 'Neuen Code senden',
  },
  cookieBlocked: {
    title: 'Ihr Browser hat unser Anmelde-Cookie blockiert',
    linkNotUsed: (not) => ['Für die Anmeldung ist ein Cookie dieser Website nötig. Ihr Link wurde ', not, ' verwendet.'],
    codeNotUsed: (not) => ['Für die Anmeldung ist ein Cookie dieser Website nötig. Ihr Code wurde ', not, ' verwendet.'],
    not: 'nicht',
    choose: 'So geht es weiter:',
    allowThenRetry:
      'Erlauben Sie Cookies für diese Website in den Datenschutzeinstellungen Ihres Browsers (oder verlassen Sie das private Surfen) und drücken Sie dann „Erneut versuchen“.',
    allowThenReopen:
      'Erlauben Sie Cookies für diese Website in den Datenschutzeinstellungen Ihres Browsers (oder verlassen Sie das private Surfen) und öffnen Sie dann den Link aus der E-Mail erneut.',
    elsewhere: (store, address) => [
      `Oder verwenden Sie einen anderen Browser oder ein anderes Gerät, das Cookies speichert: Öffnen Sie dort den Link aus derselben E-Mail, oder geben Sie den 6-stelligen Code und Ihre E-Mail-Adresse auf der Code-Seite von ${store} ein: `,
      address,
      '.',
    ],
    tryAgain: 'Erneut versuchen',
    diagnostics: 'Prüfen, wie dieser Browser mit Cookies umgeht',
  },
  expired: {
    linkTitle: 'Dieser Anmeldelink ist abgelaufen',
    codeTitle: 'Dieser Code ist abgelaufen',
    link: (when) => ['Anmeldelinks gelten nur kurze Zeit nach dem Versand; dieser ist ', when, ' abgelaufen.'],
    code: (when) => ['Codes gelten nur kurze Zeit nach dem Versand; dieser ist ', when, ' abgelaufen.'],
    sendToSame: 'Wir können Ihnen einen neuen an dieselbe Adresse senden.',
    freshLink: 'Neuen Link senden',
    freshCode: 'Neuen Code senden',
  },
  used: {
    title: 'Diese Anmeldung wurde bereits verwendet',
    link: (when) => [
      'Dieser Link wurde ',
      when,
      ' verwendet. Jeder Link funktioniert nur einmal, damit eine weitergeleitete E-Mail oder ein Screenshot niemand anderen anmelden kann.',
    ],
    code: (when) => [
      'Dieser Code wurde ',
      when,
      ' verwendet. Jeder Code funktioniert nur einmal, damit eine weitergeleitete E-Mail oder ein Screenshot niemand anderen anmelden kann.',
    ],
    newEmail: 'Neue Anmelde-E-Mail senden',
  },
  diagnostics: {
    title: 'Anmelde-Diagnose',
    noCookies: 'Dieser Browser speichert keine Cookies für diese Website.',
    noCookiesAdvice:
      'Für die Anmeldung ist ein Cookie dieser Website nötig: Erlauben Sie Cookies für diese Website in den Datenschutzeinstellungen Ihres Browsers oder verlassen Sie das private Surfen.',
    notSignedIn: (signIn) => ['Cookies funktionieren, aber Sie sind hier nicht angemeldet. ', signIn, ', um fortzufahren.'],
    signIn: 'Melden Sie sich an',
    allGood: 'Cookies funktionieren und Sie sind angemeldet.',
    sessionCookieArrived: 'Sitzungs-Cookie angekommen',
    testCookieKept: 'Browser speichert ein Test-Cookie',
    sessionLive: 'Sitzung ist aktiv',
    storefront: 'Shop',
    time: 'Zeit',
    yes: 'ja',
    no: 'nein',
    copyIntro: (to) => ['Kopieren Sie dies und senden Sie es an ', to, ':'],
    support: 'den Support',
    copyLabel: 'Angaben für den Support',
  },
  mail: {
    needHelp: (contact) => ['Brauchen Sie Hilfe? Wenden Sie sich an ', contact, '.'],
    subject: (store) => `Ihr Anmeldelink für ${store}`,
    title: (store) => `Bei ${store} anmelden`,
    openLink: 'Öffnen Sie diesen Link, um sich anzumelden:',
    button: 'Anmelden',
    buttonFallback: 'Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:',
    orCode: 'Oder geben Sie diesen Code ein:',
    validLink: (duration) => `Der Link funktioniert einmal und ist ${duration} gültig.`,
    validLinkAndCode: (duration) => `Link und Code funktionieren einmal und sind ${duration} gültig.`,
    preheaderLink: (store, duration) => `Ihr Anmeldelink für ${store}, ${duration} gültig.`,
    preheaderLinkAndCode: (store, duration) => `Ihr Anmeldelink und Code für ${store}, ${duration} gültig.`,
    ignore: 'Wenn Sie keine Anmeldung angefordert haben, können Sie diese E-Mail ignorieren.',
  },
  addressMail: {
    needHelp: (contact) => ['Brauchen Sie Hilfe? Wenden Sie sich an ', contact, '.'],
    subject: (store) => `Bestätigen Sie Ihre E-Mail-Adresse für ${store}`,
    title: (store) => `Diese Adresse zu Ihrem Konto bei ${store} hinzufügen`,
    openLink: 'Öffnen Sie diesen Link, um sie zu bestätigen:',
    button: 'Adresse bestätigen',
    buttonFallback: 'Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:',
    orCode: 'Oder geben Sie diesen Code auf Ihrer Adressen-Seite ein:',
    validLink: (duration) => `Der Link funktioniert einmal und ist ${duration} gültig.`,
    validLinkAndCode: (duration) => `Link und Code funktionieren einmal und sind ${duration} gültig.`,
    preheaderLink: (store, duration) => `Bestätigen Sie Ihre Adresse für ${store}, ${duration} gültig.`,
    preheaderLinkAndCode: (store, duration) => `Bestätigen Sie Ihre Adresse für ${store}: Link und Code, ${duration} gültig.`,
    ignore: 'Wenn Sie diese Adresse nicht hinzugefügt haben, können Sie diese E-Mail ignorieren: Es ändert sich nichts.',
  },
  changeMail: {
    needHelp: (contact) => ['Brauchen Sie Hilfe? Wenden Sie sich an ', contact, '.'],
    subject: (store) => `Ihre Haupt-E-Mail-Adresse für ${store} wurde geändert`,
    title: (store) => `Ihre Hauptadresse für ${store} wurde geändert`,
    openLink:
      'Eine andere Adresse ist jetzt die Hauptadresse Ihres Kontos. Wenn Sie das nicht waren, öffnen Sie diesen Link, um es rückgängig zu machen und alle Geräte abzumelden:',
    button: 'Das war ich nicht',
    buttonFallback: 'Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:',
    orCode: 'Oder geben Sie diesen Code ein:',
    validLink: (duration) => `Der Link funktioniert einmal und ist ${duration} gültig.`,
    validLinkAndCode: (duration) => `Der Link funktioniert einmal und ist ${duration} gültig.`,
    preheaderLink: (store, duration) =>
      `Ihre Hauptadresse für ${store} wurde geändert. Nicht Sie? Innerhalb von ${duration} rückgängig machen.`,
    preheaderLinkAndCode: (store, duration) =>
      `Ihre Hauptadresse für ${store} wurde geändert. Nicht Sie? Innerhalb von ${duration} rückgängig machen.`,
    ignore: 'Wenn Sie diese Änderung selbst vorgenommen haben, können Sie diese E-Mail ignorieren.',
  },
  addresses: {
    title: 'Ihre E-Mail-Adressen',
    intro: 'Käufe mit einer bestätigten Adresse öffnen sich, wenn Sie mit einer beliebigen davon angemeldet sind.',
    primary: 'Hauptadresse',
    verified: 'bestätigt',
    unverified: 'noch nicht bestätigt',
    makePrimary: 'Zur Hauptadresse machen',
    remove: 'Entfernen',
    addLabel: 'Adresse hinzufügen',
    addButton: 'Bestätigungs-E-Mail senden',
    sent: (email) => [
      'Wir haben einen Link und einen Code an ',
      email,
      ' geschickt. Öffnen Sie den Link, oder geben Sie den Code hier ein.',
    ],
    codeLabel: 'Code aus der E-Mail',
    verifyButton: 'Bestätigen',
    confirmTitle: 'Diese Adresse bestätigen',
    confirmIntro: (email, store) => [
      'Möchten Sie ',
      email,
      ' zu Ihrem Konto bei ',
      store,
      ' hinzufügen? Käufe mit dieser Adresse öffnen sich, wenn Sie angemeldet sind.',
    ],
    confirmButton: 'Adresse bestätigen',
    mergeNotice: (email) => [
      'Diese Adresse hat hier bereits ein eigenes Konto. Wenn Sie bestätigen, werden beide Konten zu einem zusammengeführt: Käufe, Anmeldungen und Geräte von ',
      email,
      ' und des Kontos, das sie hinzugefügt hat, sind dann zusammen.',
    ],
    confirmed: 'Adresse bestätigt',
    confirmedText: 'Käufe mit dieser Adresse öffnen sich jetzt, wenn Sie angemeldet sind.',
    revertTitle: 'Änderung Ihrer Hauptadresse rückgängig machen',
    revertIntro: (old, changed) => [
      'Ihre Hauptadresse wurde von ',
      old,
      ' zu ',
      changed,
      ' geändert. Wenn Sie das nicht waren, machen Sie es rückgängig: Ihre alte Adresse wird wieder die Hauptadresse, die andere wird entfernt, und alle Geräte werden abgemeldet.',
    ],
    revertButton: 'Das war ich nicht – rückgängig machen',
    reverted: 'Die Änderung wurde rückgängig gemacht',
    revertedText:
      'Ihre Hauptadresse ist wiederhergestellt, und alle Geräte wurden abgemeldet. Melden Sie sich mit Ihrer Hauptadresse erneut an.',
  },
  problems: {
    invalid_request: {
      title: 'Bei dieser Anfrage stimmte etwas nicht',
      text: 'Wir konnten nicht lesen, was die Seite gesendet hat. Gehen Sie zurück und versuchen Sie es erneut; wenn es wieder passiert, wenden Sie sich an den Support.',
    },
    invalid_email: {
      title: 'Diese E-Mail-Adresse sieht nicht richtig aus',
      text: 'Bitte prüfen Sie sie und versuchen Sie es erneut, zum Beispiel name@example.com.',
    },
    invalid_return_to: {
      title: 'Wir können Sie nicht zu dieser Seite zurückbringen',
      text: 'Die Seite, von der Sie kamen, gehört nicht zu diesem Shop. Melden Sie sich hier an; danach landen Sie auf der Startseite des Shops.',
    },
    invalid_magic_link: {
      title: 'Dieser Anmeldelink funktioniert nicht',
      text: 'Der Link ist vielleicht unvollständig: Manche E-Mail-Programme zerteilen lange Links. Fordern Sie eine neue Anmelde-E-Mail an und öffnen Sie den Link direkt daraus.',
    },
    invalid_code: {
      title: 'Dieser Code stimmt nicht',
      text: 'Prüfen Sie, ob es der Code aus der neuesten E-Mail ist, und versuchen Sie es dann erneut.',
    },
    invalid_resource: {
      title: 'Diese Seite kann nicht geprüft werden',
      text: 'In der Adresse der Seite stimmt etwas nicht. Gehen Sie zurück zum Shop und öffnen Sie die Seite von dort.',
    },
    invalid_webhook_url: {
      title: 'Dies ist eine Einstellung für das Team des Shops',
      text: 'Hier ist nichts für Sie zu tun. Gehen Sie zurück zum Shop.',
    },
    cookie_blocked: {
      title: 'Ihr Browser hat unser Anmelde-Cookie blockiert',
      text: 'Für die Anmeldung ist ein Cookie dieser Website nötig. Erlauben Sie Cookies für diese Website in den Datenschutzeinstellungen Ihres Browsers (oder verlassen Sie das private Surfen) und versuchen Sie es dann erneut.',
    },
    bad_path: {
      title: 'Diese Adresse kann nicht geprüft werden',
      text: 'In der Adresse der Seite stimmt etwas nicht. Gehen Sie zurück zum Shop und öffnen Sie die Seite von dort.',
    },
    not_signed_in: {
      title: 'Bitte melden Sie sich zuerst an',
      text: 'Diese Seite ist für angemeldete Kundinnen und Kunden. Melden Sie sich mit der E-Mail-Adresse an, die Sie beim Kauf verwendet haben.',
    },
    unauthorized: {
      title: 'Wir konnten nicht feststellen, wer fragt',
      text: 'Melden Sie sich erneut mit der E-Mail-Adresse an, die Sie beim Kauf verwendet haben.',
    },
    csrf_rejected: {
      title: 'Dieses Formular ist abgelaufen',
      text: 'Zu Ihrer Sicherheit nehmen wir dieses Formular nur von den Seiten des Shops an. Öffnen Sie die Anmeldeseite erneut und senden Sie es von dort.',
    },
    wrong_tenant: {
      title: 'Das gehört zu einem anderen Shop',
      text: 'Sie sind auf der Website eines anderen Shops. Melden Sie sich hier mit der E-Mail-Adresse an, die Sie bei diesem Shop verwendet haben.',
    },
    insufficient_scope: {
      title: 'Dies ist nicht für Kundinnen und Kunden',
      text: 'Diese Adresse ist für die Systeme des Shops. Gehen Sie zurück zum Shop.',
    },
    wrong_audience: {
      title: 'Dies ist nicht für Kundinnen und Kunden',
      text: 'Diese Adresse ist für die Systeme des Shops. Gehen Sie zurück zum Shop.',
    },
    not_found: {
      title: 'Diese Seite finden wir nicht',
      text: 'Vielleicht ist die Adresse vertippt, oder die Seite ist umgezogen.',
    },
    unknown_handle: {
      title: 'Diesen Shop finden wir nicht',
      text: 'Vielleicht ist die Adresse vertippt. Gehen Sie zurück zum Shop und öffnen Sie die Seite von dort.',
    },
    session_not_found: {
      title: 'Diese Anmeldung ist beendet',
      text: 'Vielleicht wurden Sie bereits abgemeldet. Melden Sie sich erneut an, wenn Sie möchten.',
    },
    method_not_allowed: {
      title: 'Das hat nicht geklappt',
      text: 'Diese Seite lässt sich so nicht verwenden. Gehen Sie zurück zum Shop und versuchen Sie es von dort erneut.',
    },
    used_magic_link: {
      title: 'Diese Anmeldung wurde bereits verwendet',
      text: 'Jeder Link und jeder Code funktioniert nur einmal, damit eine weitergeleitete E-Mail niemand anderen anmelden kann. Fordern Sie eine neue Anmelde-E-Mail an.',
    },
    link_still_valid: {
      title: 'Ihr Anmeldelink ist noch gültig',
      text: 'Öffnen Sie ihn aus der E-Mail, die wir Ihnen gesendet haben. Wenn Sie sie nicht finden, fordern Sie einen neuen an.',
    },
    idempotency_in_progress: {
      title: 'Wir sind noch dabei',
      text: 'Ihre letzte Anfrage wird noch bearbeitet. Warten Sie einen Moment und versuchen Sie es dann erneut.',
    },
    expired_magic_link: {
      title: 'Dieser Anmeldelink ist abgelaufen',
      text: 'Anmeldelinks gelten nur kurze Zeit. Fordern Sie eine neue Anmelde-E-Mail an.',
    },
    payload_too_large: {
      title: 'Das war zu viel auf einmal',
      text: 'Was die Seite gesendet hat, ist größer, als wir annehmen. Kürzen Sie es und versuchen Sie es erneut.',
    },
    unsupported_media_type: {
      title: 'Das hat nicht geklappt',
      text: 'Ihr Browser hat das Formular in einer Form gesendet, die wir nicht annehmen. Gehen Sie zurück und versuchen Sie es erneut.',
    },
    idempotency_key_reused: {
      title: 'Das hat nicht geklappt',
      text: 'Wir haben zwei verschiedene Anfragen mit derselben Referenz erhalten. Gehen Sie zurück und versuchen Sie es erneut.',
    },
    rate_limited: {
      title: 'Zu viele Versuche',
      text: 'Damit Anmeldungen sicher bleiben, begrenzen wir, wie oft das möglich ist. Bitte warten Sie ein wenig.',
    },
    daily_limit_reached: {
      title: 'Für heute ist das Limit erreicht',
      text: 'Das wurde heute zu oft angefordert. Damit Anmeldungen sicher bleiben, geht es später wieder.',
    },
    code_attempts_exceeded: {
      title: 'Zu viele falsche Codes',
      text: 'Nach zu vielen falschen Versuchen gilt der Code nicht mehr. Verwenden Sie den Link aus derselben E-Mail oder fordern Sie eine neue Anmelde-E-Mail an.',
    },
    internal_error: {
      title: 'Bei uns ist etwas schiefgelaufen',
      text: 'Das liegt nicht an Ihnen. Bitte versuchen Sie es gleich noch einmal.',
    },
    service_unavailable: {
      title: 'Die Anmeldung ist kurz nicht erreichbar',
      text: 'Wir sind gleich wieder da. Bitte versuchen Sie es in Kürze erneut.',
    },
    pending_expired: {
      title: 'Diese Anmeldung hat zu lange gewartet',
      text: 'Der Bildschirm, auf dem Sie die Anmeldung angefordert haben, wartet nicht mehr. Fordern Sie dort eine neue Anmelde-E-Mail an.',
    },
    pending_rejected: {
      title: 'Diese Anmeldung wurde gestoppt',
      text: 'Auf dem anderen Gerät wurde eine falsche Zahl gewählt, deshalb wurde zu Ihrer Sicherheit niemand angemeldet. Fordern Sie eine neue Anmelde-E-Mail an.',
    },
    number_mismatch: {
      title: 'Das war nicht die Zahl auf Ihrem anderen Bildschirm',
      text: 'Zu Ihrer Sicherheit wurde diese Anmeldung gestoppt, und es wurde niemand angemeldet. Fordern Sie eine neue Anmelde-E-Mail an und wählen Sie die Zahl, die Ihr Bildschirm zeigt.',
    },
    invalid_handoff: {
      title: 'Dieser Bestelllink funktioniert nicht',
      text: 'Der Link ist vielleicht unvollständig oder gehört zu einem anderen Shop. Öffnen Sie ihn erneut aus Ihrer Kaufbestätigung, oder melden Sie sich mit der E-Mail-Adresse an, die Sie beim Kauf verwendet haben.',
    },
    step_up_required: {
      title: 'Bitte melden Sie sich mit Ihrer E-Mail-Adresse an',
      text: 'Sie haben eine Bestellung über einen Link aus dem Kauf geöffnet. Um Ihre anderen Käufe zu sehen, melden Sie sich mit der E-Mail-Adresse an, die Sie beim Kauf verwendet haben.',
    },
    passkey_challenge_invalid: {
      title: 'Diese Passkey-Anfrage ist abgelaufen',
      text: 'Passkey-Anfragen gelten nur einmal und nur wenige Minuten. Bitte versuchen Sie es erneut.',
    },
    passkey_rejected: {
      title: 'Dieser Passkey hat Sie nicht angemeldet',
      text: 'Er wurde möglicherweise entfernt oder gehört zu einem anderen Shop. Versuchen Sie es erneut, oder melden Sie sich mit Ihrer E-Mail-Adresse an.',
    },
    email_not_found: {
      title: 'Diese Adresse gehört nicht zu Ihren',
      text: 'Prüfen Sie die Adresse, oder fügen Sie sie auf Ihrer Adressen-Seite erneut hinzu.',
    },
    email_is_primary: {
      title: 'Ihre Hauptadresse kann nicht entfernt werden',
      text: 'Machen Sie zuerst eine andere bestätigte Adresse zu Ihrer Hauptadresse und entfernen Sie dann diese.',
    },
    email_not_verified: {
      title: 'Diese Adresse ist noch nicht bestätigt',
      text: 'Öffnen Sie den Link oder geben Sie den Code ein, den wir an diese Adresse geschickt haben, und versuchen Sie es dann erneut.',
    },
    invalid_email_link: {
      title: 'Dieser Link funktioniert nicht',
      text: 'Er ist möglicherweise unvollständig, schon benutzt oder durch eine neuere E-Mail ersetzt. Fügen Sie die Adresse erneut hinzu, um einen neuen Link zu erhalten.',
    },
    expired_email_link: {
      title: 'Dieser Link ist abgelaufen',
      text: 'Fügen Sie die Adresse erneut hinzu, um einen neuen Link zu erhalten. Wenn Sie die Änderung Ihrer Hauptadresse rückgängig machen möchten, wenden Sie sich an den Support.',
    },
  },
  problemPage: {
    tryAgain: 'Erneut versuchen',
    tryAgainIn: (wait) => `Sie können es in ${wait} erneut versuchen.`,
    signIn: 'Zur Anmeldeseite',
    home: (store) => `Zurück zu ${store}`,
    openAt: (address) => `${address} öffnen`,
    unreadable: (fields) => ['Nicht lesbar war: ', fields, '.'],
  },
  reportSent: {
    supportTitle: 'Wir haben Ihre Meldung erhalten',
    contentTitle: 'Meldung eingegangen',
    supportThanks: 'Vielen Dank. Unser Support-Team hat Ihre Meldung erhalten.',
    contentThanks: 'Vielen Dank. Wir prüfen die Inhalte, die Sie gemeldet haben.',
    number: (id, reference) => ['Ihre Meldungsnummer lautet ', id, reference, '. Nennen Sie sie, wenn Sie sich erneut an uns wenden.'],
    reference: (requestId) => [' (Referenz ', requestId, ')'],
    backTo: (store) => `Zurück zu ${store}`,
  },
  pending: {
    pick: (number) => ['Auf Ihrem anderen Gerät werden Sie gebeten, ', number, ' auszuwählen.'],
    howTo: 'Öffnen Sie dort den Link aus der E-Mail und wählen Sie diese Zahl. Diese Seite meldet Sie dann von selbst an.',
    checkAgain: 'Ich habe sie gewählt – weiter',
    signedIn: 'Angemeldet. Sie werden weitergeleitet …',
    rejected:
      'Auf dem anderen Gerät wurde eine andere Zahl gewählt. Diese Anmeldung wurde daher gestoppt, und ihr Link funktioniert nicht mehr. Falls Sie das nicht waren, hat jemand anderes Ihre E-Mail geöffnet. Fordern Sie eine neue E-Mail an, um es erneut zu versuchen.',
    ended:
      'Diese Anmeldung kann hier nicht mehr abgeschlossen werden: Ihr Link ist abgelaufen oder wurde bereits verwendet. Fordern Sie eine neue E-Mail an, um es erneut zu versuchen.',
    newEmail: 'Neue Anmelde-E-Mail senden',
  },
  otherScreen: {
    continueHere: 'Hier fortfahren',
    title: 'Auf meinem anderen Bildschirm anmelden',
    intro:
      'Haben Sie die Anmeldung auf einem anderen Bildschirm angefordert, etwa auf einem Laptop oder in einem anderen Browser? Wählen Sie die Zahl, die dort angezeigt wird, und er wird angemeldet. Wenn keiner Ihrer Bildschirme eine Zahl zeigt, wählen Sie keine.',
    pick: (number) => `${number} wählen`,
  },
  inApp: {
    advice:
      'Sie haben diesen Link in einer App geöffnet. Eine Anmeldung im Browser der App bleibt in dieser App. Wenn Sie die Anmeldung in Ihrem Browser angefordert haben, wählen Sie unten die Zahl, die er anzeigt; oder öffnen Sie diesen Link in Ihrem Browser (im Menü der App: „Im Browser öffnen“).',
    adviceWithoutChoice:
      'Sie haben diesen Link in einer App geöffnet. Eine Anmeldung im Browser der App bleibt in dieser App: Um sich in Ihrem Browser anzumelden, öffnen Sie diesen Link dort (im Menü der App: „Im Browser öffnen“).',
    continueInApp: 'Stattdessen in dieser App fortfahren',
  },
  approvedElsewhere: {
    title: 'Erledigt: Ihr anderer Bildschirm wird angemeldet',
    body: 'Der Bildschirm, auf dem Sie die Anmeldung angefordert haben, fährt gleich von selbst fort. Auf diesem Gerät wurde niemand angemeldet.',
  },
  numberMismatch: {
    title: 'Das war nicht die Zahl auf Ihrem anderen Bildschirm',
    body: 'Zu Ihrer Sicherheit wurde diese Anmeldung gestoppt, und der Link funktioniert nicht mehr. Es wurde niemand angemeldet. Wenn Sie die Anmeldung angefordert haben, fordern Sie eine neue E-Mail an und wählen Sie die Zahl, die Ihr Bildschirm zeigt.',
    newEmail: 'Neue Anmelde-E-Mail senden',
  },
  pendingEnded: {
    title: 'Ihr anderer Bildschirm wartet nicht mehr',
    body: 'Die Anmeldung auf Ihrem anderen Bildschirm ist abgeschlossen oder abgelaufen. Mit diesem Link können Sie sich weiterhin auf diesem Gerät anmelden.',
  },
  /** Passkeys: der Passkey-Teil der Anmeldeseite und das Angebot nach einer Anmeldung per E-Mail. */
  passkeys: {
    signInButton: 'Mit einem Passkey anmelden',
    signInIntro: 'Haben Sie hier schon einen Passkey erstellt? Verwenden Sie ihn statt einer E-Mail.',
    working: 'Folgen Sie den Schritten, die Ihr Browser anzeigt …',
    signInFailed: 'Dieser Passkey hat Sie nicht angemeldet. Versuchen Sie es erneut, oder melden Sie sich mit Ihrer E-Mail-Adresse an.',
    offerTitle: 'Beim nächsten Mal schneller anmelden',
    offerIntro:
      'Erstellen Sie einen Passkey für diesen Shop auf diesem Gerät. Beim nächsten Mal melden Sie sich mit Fingerabdruck, Gesicht oder Bildschirmsperre an – ohne E-Mail.',
    offerButton: 'Passkey erstellen',
    offerDone: 'Ihr Passkey ist bereit. Es geht gleich weiter …',
    offerFailed: 'Es wurde kein Passkey erstellt. Sie können es erneut versuchen oder ohne Passkey fortfahren.',
    notNow: 'Jetzt nicht',
  },
  /** Löschen des Kontos in einem Shop: die Seite, ihre Bestätigung und die E-Mail mit dem Code. */
  erasure: {
    title: (store: string) => `Ihr Konto bei ${store} löschen`,
    signInFirst:
      'Um Ihr Konto zu löschen, melden Sie sich zuerst mit Ihrer E-Mail-Adresse an. Danach senden wir Ihnen einen Code zur Bestätigung.',
    signIn: 'Anmelden',
    signedInAs: (email) => ['Sie sind angemeldet als ', email, '.'],
    whatGoes:
      'Wenn Sie Ihr Konto löschen, werden Sie überall abgemeldet, und Ihre Anmeldungen, Passkeys, Ihr Zugang zu Käufen in diesem Shop, Bestelllinks und die persönlichen Angaben Ihrer Supportanfragen werden entfernt.',
    whatStays:
      'Ein Nachweis, dass Ereignisse stattgefunden haben (für die Sicherheit und unsere Pflichten), bleibt ohne Ihre E-Mail-Adresse, IP-Adresse und Browserangaben erhalten. Der Shop kann eigene Unterlagen zu Ihren Bestellungen aufbewahren.',
    download: 'Vorher herunterladen, was wir über Sie speichern (JSON)',
    sendCode: 'Code zur Bestätigung per E-Mail senden',
    codeSent: (email) => ['Wir haben einen 6-stelligen Code an ', email, ' gesendet. Er ist 15 Minuten gültig.'],
    codeLabel: '6-stelliger Code',
    confirm: 'Mein Konto löschen',
    sendNewCode: 'Neuen Code senden',
    wrongCode:
      'Dieser Code ist nicht richtig oder abgelaufen. Verwenden Sie den neuesten Code, den wir Ihnen gesendet haben, oder fordern Sie einen neuen an.',
    tooManyTries: 'Für diesen Code gab es zu viele falsche Versuche. Fordern Sie einen neuen Code an.',
    orderOnly:
      'Sie haben diese Seite über einen Bestelllink geöffnet. Melden Sie sich mit Ihrer E-Mail-Adresse an, um Ihr Konto zu löschen.',
    deletedTitle: 'Ihr Konto ist gelöscht',
    deletedBody: (store: string) =>
      `Ihr Konto bei ${store} ist gelöscht, und Sie sind abgemeldet. Wenn Sie sich erneut mit derselben Adresse anmelden, beginnen Sie als neuer Kunde.`,
    backToShop: 'Zurück zum Shop',
    mailSubject: (store: string) => `Ihr Code zum Löschen Ihres Kontos bei ${store}`,
    mailIntro: (store: string) =>
      `Jemand – hoffentlich Sie – möchte Ihr Konto bei ${store} löschen. Geben Sie zur Bestätigung diesen Code ein:`,
    mailValidity: 'Der Code ist 15 Minuten gültig.',
    mailIgnore: 'Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ohne den Code wird nichts gelöscht.',
  },
};
