/** The `context.features` keys Jitsi Meet knows (PRODUCT.md, token contract). Others are dropped. */
export const JITSI_FEATURES = [
  'recording',
  'livestreaming',
  'transcription',
  'outbound-call',
  'sip-outbound-call',
  'sip-inbound-call',
  'inbound-call',
  'screen-sharing',
  'send-groupchat',
  'create-polls',
  'file-upload',
  'flip',
  'lobby',
  'moderation',
  'list-visitors',
  'branding',
  'calendar',
  'room',
  'live-translation',
] as const;

export type JitsiFeature = (typeof JITSI_FEATURES)[number];

const known: ReadonlySet<string> = new Set(JITSI_FEATURES);

export function isJitsiFeature(name: string): name is JitsiFeature {
  return known.has(name);
}

export type Features = Partial<Record<JitsiFeature, boolean>>;

/** Keeps only known keys that the target allows, with boolean values. */
export function filterFeatures(
  requested: Readonly<Record<string, unknown>> | undefined,
  allowed: ReadonlySet<string>,
): Features {
  const out: Features = {};
  if (!requested) return out;
  for (const [key, value] of Object.entries(requested)) {
    if (!isJitsiFeature(key) || !allowed.has(key)) continue;
    if (typeof value === 'boolean') out[key] = value;
    else if (value === 'true' || value === 'false') out[key] = value === 'true';
  }
  return out;
}
