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
};
