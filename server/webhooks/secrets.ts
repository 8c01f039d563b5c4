// A webhook's signing secret. Receivers verify with it, so unlike an API key it cannot be hashed: it
// is kept encrypted (AES-256-GCM) under a key derived from the pepper, bound to its webhook's id.
// A copy of the store alone cannot forge deliveries only when the pepper is not in the store too
// (LATCHKEY_PEPPER or LATCHKEY_PEPPER_FILE; boot warns otherwise).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { openWithAny, type Pepper } from '../secrets.ts';

const PURPOSE = 'webhook-signing';
const FORMAT = 'v1';
/** Standard Webhooks secrets are `whsec_` + base64 of the key; 32 bytes = 256 bits. */
const SECRET_BYTES = 32;

export function generateSigningSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** `v1.<iv>.<ciphertext + tag>`, base64url; the webhook id is the additional data. */
export function sealSigningSecret(pepper: Pepper, webhookId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', pepper.derive(PURPOSE), iv);
  cipher.setAAD(Buffer.from(webhookId));
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${FORMAT}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
}

/** The secret, or undefined when there is none or it does not open (another pepper, another webhook). */
export function openSigningSecret(pepper: Pepper, webhookId: string, sealed: unknown): string | undefined {
  if (typeof sealed !== 'string') return undefined;
  const [format, iv, body] = sealed.split('.');
  if (format !== FORMAT || !iv || !body) return undefined;
  const bytes = Buffer.from(body, 'base64url');
  try {
    // Under whichever listed pepper sealed it: `latchkey pepper rotate` moves them all to the current one.
    return openWithAny(pepper.derivedKeys(PURPOSE), (key) => {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(webhookId));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
    });
  } catch {
    return undefined;
  }
}

/** Fields of a webhook's data that are ours, never shown by the API. */
export const INTERNAL_WEBHOOK_FIELDS = ['signing_secret', 'failing_since'] as const;
