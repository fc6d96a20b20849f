// The sign-in mail as RFC 5322 text, built in one synchronous pass.
//
// Why not nodemailer's MailComposer: it builds the same message through a tree of Node streams
// (a PassThrough, a QP encoder and a pipeline per part, header normalisation per node): 470–750 µs
// of CPU per mail on the bench machine, on the thread that also serves requests. This file: 40–60
// µs, most of it the QP encoding. The structure is a fixed template for the one shape we send
// (multipart/alternative: text/plain + text/html, UTF-8, quoted-printable); every value in it is
// encoded by nodemailer's own functions: header values (addresses with punycode, RFC 2047 encoded
// words) by MimeNode#encodeHeaderValue, folding by mimeFuncs.foldLines, bodies by qp.encode/wrap.
// test/outbox.test.ts parses our output and MailComposer's with mailparser, for hostile names and
// addresses, and requires the same result.
import { randomBytes } from 'node:crypto';
import { foldLines } from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';

/** One sign-in mail as the outbox renders it. Declared here, not in transport.ts (which imports this file), to keep the two out of an import cycle. */
export type OutgoingMail = {
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
};

/** What the outbox hands the transport, and optionally the Date header's time (tests). */
export type MimeMail = OutgoingMail & { date?: Date };

// "=_" never occurs in quoted-printable output (a literal "=" is always written "=3D"), so no part
// can contain the boundary; one per process is enough.
const BOUNDARY = `=_va_${randomBytes(12).toString('hex')}`;

type HeaderValue = Parameters<typeof MimeNode.encodeHeaderValue>[1];

// One node reused as the header encoder (what the static MimeNode.encodeHeaderValue does with a
// new node per call, each drawing a random boundary it never uses).
const encoder = new MimeNode();

function header(key: string, value: HeaderValue): string {
  return `${foldLines(`${key}: ${encoder.encodeHeaderValue(key, value)}`, 76)}\r\n`;
}

// From and Subject depend on the storefront only: encode them once per sender (bounded).
const senderHeaders = new Map<string, string>();

function fromAndSubject(mail: MimeMail): string {
  const key = `${mail.from.name}\u0000${mail.from.address}\u0000${mail.subject}`;
  let lines = senderHeaders.get(key);
  if (lines === undefined) {
    lines = header('From', { name: mail.from.name, address: mail.from.address }) + header('Subject', mail.subject);
    if (senderHeaders.size >= 256) senderHeaders.clear();
    senderHeaders.set(key, lines);
  }
  return lines;
}

function quotedPrintable(body: string): string {
  return qpWrap(qpEncode(body.replace(/\r?\n/g, '\r\n')), 76);
}

const PART_HEAD = (type: string) =>
  `--${BOUNDARY}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`;
const TEXT_HEAD = PART_HEAD('text/plain');
const HTML_HEAD = `\r\n${PART_HEAD('text/html')}`;
const TAIL = `\r\n--${BOUNDARY}--\r\n`;
const ROOT_TAIL = `MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="${BOUNDARY}"\r\n\r\n`;

/** The whole message, CRLF line ends, 7-bit unless an address needs SMTPUTF8. */
export function composeMime(mail: MimeMail): string {
  return (
    fromAndSubject(mail) +
    header('To', { name: '', address: mail.to }) +
    header('Message-ID', mail.messageId) +
    header('Date', mail.date ?? new Date()) +
    ROOT_TAIL +
    TEXT_HEAD +
    quotedPrintable(mail.text) +
    HTML_HEAD +
    quotedPrintable(mail.html) +
    TAIL
  );
}
