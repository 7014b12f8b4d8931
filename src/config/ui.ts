import { z } from 'zod';

/** Languages the pages are translated into; the first configured one is the fallback. */
export const PAGE_LANGUAGES = ['en', 'fr', 'de'] as const;
export type PageLanguage = (typeof PAGE_LANGUAGES)[number];

const colour = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour written #rrggbb, e.g. "#1f4fd1"')
  .transform((value) => value.toLowerCase());

/** http(s) URL, or a path on the gateway's own origin. Nothing else (no javascript:, no data:). */
const linkOrPath = (example: string) =>
  z
    .string()
    .max(2048)
    .refine((value) => {
      if (value.startsWith('/') && !value.startsWith('//')) return !/[\s\\]/.test(value);
      try {
        const url = new URL(value);
        return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
      } catch {
        return false;
      }
    }, `must be an absolute http(s) URL or a path starting with /, e.g. ${example}`);

const contact = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return ['https:', 'http:', 'mailto:'].includes(url.protocol);
    } catch {
      return false;
    }
  }, 'must be an http(s) or mailto: URL, e.g. mailto:helpdesk@example.org');

export const coloursSchema = z
  .strictObject({
    /** Buttons and links. */
    accent: colour.default('#1f4fd1'),
    /** Text on buttons (on the accent colour). */
    accentText: colour.default('#ffffff'),
    /** Page background. */
    background: colour.default('#eef1f6'),
    /** Card background (the box the content sits in). */
    surface: colour.default('#ffffff'),
    /** Body text. */
    text: colour.default('#1b2333'),
  })
  .prefault({});
export type UiColours = z.infer<typeof coloursSchema>;

/** WCAG 2 AA contrast for normal text. */
export const MIN_CONTRAST = 4.5;

/**
 * Branding of the pages people see (landing page, chooser, errors, logged out, invites). Strict:
 * every key is documented in docs/pages.md. Colour pairs that people read must keep WCAG AA
 * contrast, so a theme can never make the pages unreadable.
 */
export const uiSchema = z
  .strictObject({
    /** Shown in the header and page titles, e.g. "Example University". */
    organisation: z.string().trim().min(1).max(80).default('Jitsi Meet'),
    /** Logo shown next to the name (https URL or a path on the gateway's origin); decorative. */
    logoUrl: linkOrPath('https://www.example.org/logo.svg').optional(),
    colours: coloursSchema,
    /** Languages offered, chosen from Accept-Language; the first is used when none matches. */
    languages: z
      .array(z.enum(PAGE_LANGUAGES, { error: `must be one of ${PAGE_LANGUAGES.join(', ')}` }))
      .min(1)
      .default([...PAGE_LANGUAGES])
      .transform((languages) => [...new Set(languages)]),
    /** Where people get help; shown on error pages. */
    supportUrl: contact.optional(),
    /** Show the configured Jitsi servers, sign-in methods and status on the landing page. */
    landingDetails: z.boolean().default(true),
  })
  .superRefine((ui, context) => {
    const { colours } = ui;
    const pairs: Array<[keyof UiColours, keyof UiColours, string]> = [
      ['text', 'background', 'text on the page background'],
      ['text', 'surface', 'text on the card'],
      ['accent', 'surface', 'links on the card'],
      ['accentText', 'accent', 'button text on buttons'],
    ];
    for (const [fore, back, what] of pairs) {
      const ratio = contrastRatio(colours[fore], colours[back]);
      if (ratio < MIN_CONTRAST) {
        context.addIssue({
          code: 'custom',
          path: ['colours', fore],
          message: `${fore} ${colours[fore]} on ${back} ${colours[back]} (${what}) has a contrast of ${ratio.toFixed(2)}:1; at least ${MIN_CONTRAST}:1 is needed to be readable (WCAG AA)`,
        });
      }
    }
  })
  .prefault({});

export type UiConfig = z.infer<typeof uiSchema>;

/** WCAG 2 contrast ratio of two #rrggbb colours (1 to 21). */
export function contrastRatio(first: string, second: string): number {
  const [lighter, darker] = [luminance(first), luminance(second)].sort((a, b) => b - a) as [number, number];
  return (lighter + 0.05) / (darker + 0.05);
}

function luminance(hex: string): number {
  const channel = (offset: number) => {
    const value = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}
