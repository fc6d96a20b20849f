// A tenant's branding (logo, accent colour, support contact) and the one place its rules live: the
// CLI and the console both parse through `parseBranding`, so a value one accepts the other does too.
// Everything here ends up in hosted pages, mail and a CSP header, hence the narrow shapes.

export type TenantBranding = {
  /** https only; shown at logoWidth × logoHeight CSS pixels (all three set, or none). */
  logoUrl: string | null;
  logoWidth: number | null;
  logoHeight: number | null;
  /** `#rrggbb`, lower-case; white text on it meets WCAG AA (buttons use it as their background). */
  accentColor: string | null;
  /** An email address or an https URL. */
  supportContact: string | null;
};

export const NO_BRANDING: TenantBranding = { logoUrl: null, logoWidth: null, logoHeight: null, accentColor: null, supportContact: null };

export type BrandingField = keyof TenantBranding;

export const URL_MAX = 2048;
export const LOGO_MAX_WIDTH = 600;
export const LOGO_MAX_HEIGHT = 300;
/** WCAG 2 AA for normal text: the button label is 16 px semi-bold, not "large text". */
export const MIN_CONTRAST = 4.5;

// Hostnames as DNS names (letters, digits, "-", "."; IDNs arrive punycoded from URL()). WHATWG URL
// lets ";" and "," through in a host, and the logo's origin is written into the CSP header.
const DNS_HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;
const EMAIL = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const HEX_COLOR = /^#[0-9a-f]{6}$/;

/** A refused value: `field` names the setting, `message` says what to give instead. */
export class BrandingError extends Error {
  constructor(
    readonly field: BrandingField,
    message: string,
  ) {
    super(message);
  }
}

/** An absolute https URL to a DNS host, without user info or fragment; returned as URL() writes it. */
function parseHttpsUrl(field: BrandingField, raw: string, what: string): string {
  const problem = `${what} must be an https:// address (no http:, data: or other schemes), with no user name or password, at most ${URL_MAX} characters`;
  if (raw.length > URL_MAX || CONTROL_OR_SPACE.test(raw) || !/^https:\/\//i.test(raw)) throw new BrandingError(field, problem);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BrandingError(field, problem);
  }
  if (url.protocol !== 'https:' || url.username || url.password || raw.includes('@') || url.hash) {
    throw new BrandingError(field, problem);
  }
  if (!DNS_HOST.test(url.hostname)) throw new BrandingError(field, `${what} must name its host by a DNS name (like cdn.example.com)`);
  if (url.href.length > URL_MAX) throw new BrandingError(field, problem);
  return url.href;
}

export function parseLogoUrl(raw: string): string {
  return parseHttpsUrl('logoUrl', raw.trim(), 'The logo URL');
}

export function parseLogoSize(field: 'logoWidth' | 'logoHeight', raw: string): number {
  const max = field === 'logoWidth' ? LOGO_MAX_WIDTH : LOGO_MAX_HEIGHT;
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value < 1 || value > max) {
    throw new BrandingError(
      field,
      `The logo ${field === 'logoWidth' ? 'width' : 'height'} must be a whole number of pixels from 1 to ${max}`,
    );
  }
  return value;
}

function luminance(hex: string): number {
  const channel = (offset: number) => {
    const c = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** WCAG 2 contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** The same hue, darkened step by step until white text on it meets AA: offered, never applied silently. */
function darkerPassing(hex: string): string {
  const rgb = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  for (let factor = 0.95; factor > 0; factor -= 0.05) {
    const candidate = `#${rgb
      .map((c) =>
        Math.floor(c * factor)
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')}`;
    if (contrastRatio(candidate, '#ffffff') >= MIN_CONTRAST) return candidate;
  }
  return '#000000';
}

/**
 * `#rrggbb` (any case; stored lower-case) that white button text on it, and it as link text on
 * white, read at WCAG AA. A lighter colour is refused with a darker one of the same hue to use.
 */
export function parseAccentColor(raw: string): string {
  const color = raw.trim().toLowerCase();
  if (!HEX_COLOR.test(color))
    throw new BrandingError('accentColor', 'The accent colour must be written #rrggbb (six hex digits, like #0b57d0)');
  const ratio = contrastRatio(color, '#ffffff');
  if (ratio < MIN_CONTRAST) {
    throw new BrandingError(
      'accentColor',
      `The accent colour ${color} is too light: white text on it has a contrast of ${ratio.toFixed(2)}:1, and buttons need at least ${MIN_CONTRAST}:1 (WCAG AA). A darker one of the same hue that passes: ${darkerPassing(color)}`,
    );
  }
  return color;
}

/** An email address (shown as a mailto: link) or an https URL. */
export function parseSupportContact(raw: string): string {
  const text = raw.trim();
  // Anything with a scheme is a link, and a link must be https (mailto: is written as the bare address).
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    return parseHttpsUrl('supportContact', text, 'A support contact link');
  }
  if (text.length > 254 || !EMAIL.test(text)) {
    throw new BrandingError('supportContact', 'The support contact must be an email address (help@example.com) or an https:// URL');
  }
  return text;
}

/** What was given for each setting, as typed: "" clears it; absent leaves it as it is. */
export type BrandingFields = Partial<Record<BrandingField, string>>;

/**
 * The branding changes the given fields make, or every refusal (one per field). The logo's URL,
 * width and height go together: all three to set it, or an empty URL (sizes empty or absent) to remove it.
 */
export function parseBranding(fields: BrandingFields): { changes: Partial<TenantBranding>; errors: BrandingError[] } {
  const changes: Partial<TenantBranding> = {};
  const errors: BrandingError[] = [];
  const attempt = (work: () => void) => {
    try {
      work();
    } catch (error) {
      if (!(error instanceof BrandingError)) throw error;
      errors.push(error);
    }
  };
  const { logoUrl, logoWidth, logoHeight } = fields;
  if (logoUrl !== undefined || logoWidth !== undefined || logoHeight !== undefined) {
    if (logoUrl?.trim() === '') {
      if (logoWidth?.trim() || logoHeight?.trim()) {
        errors.push(new BrandingError('logoUrl', 'A logo width or height needs a logo URL (or leave all three empty to remove the logo)'));
      } else Object.assign(changes, { logoUrl: null, logoWidth: null, logoHeight: null });
    } else if (logoUrl === undefined) {
      errors.push(new BrandingError('logoUrl', 'Give the logo URL with its width and height (all three together)'));
    } else {
      const logo: Partial<TenantBranding> = {};
      attempt(() => {
        logo.logoUrl = parseLogoUrl(logoUrl);
      });
      for (const [field, raw] of [
        ['logoWidth', logoWidth],
        ['logoHeight', logoHeight],
      ] as const) {
        if (!raw?.trim())
          errors.push(new BrandingError(field, `Give the logo's ${field === 'logoWidth' ? 'width' : 'height'} in pixels too`));
        else
          attempt(() => {
            logo[field] = parseLogoSize(field, raw);
          });
      }
      if (logo.logoUrl && logo.logoWidth && logo.logoHeight) Object.assign(changes, logo);
    }
  }
  if (fields.accentColor !== undefined) {
    attempt(() => {
      changes.accentColor = fields.accentColor!.trim() === '' ? null : parseAccentColor(fields.accentColor!);
    });
  }
  if (fields.supportContact !== undefined) {
    attempt(() => {
      changes.supportContact = fields.supportContact!.trim() === '' ? null : parseSupportContact(fields.supportContact!);
    });
  }
  return { changes: errors.length ? {} : changes, errors };
}
