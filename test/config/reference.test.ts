import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFERENCE_PATH, renderConfigReference } from '../../tools/config-reference.js';

describe('docs/configuration.md (generated from the schema)', () => {
  const rendered = renderConfigReference();

  it('is up to date: run `npm run docs:config` and commit the result when this fails', () => {
    expect(readFileSync(REFERENCE_PATH, 'utf8')).toBe(rendered);
  });

  it('lists every key with its default and the doc comment written above it', () => {
    expect(rendered).toContain('| `targets.<target>.nbfSkewSeconds` | integer (≥ 0, ≤ 600) | `30` | How far in the past `nbf` is set');
    expect(rendered).toContain('## `publicUrl`\n\nstring, **required**.');
    // Two literals with the same keys (OIDC claims, CAS attributes) each keep their own comments.
    expect(rendered).toMatch(/`providers\.<provider>\.attributes\.id` \| [^|]+ \| `cas:user` \| Stable user id\. Default: the `<cas:user>` element/);
    expect(rendered).toContain('### `providers.<provider>` with `kind: cas`');
    expect(rendered).toContain('Secret: also `clientSecretFile`');
  });
});
