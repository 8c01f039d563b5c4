// The register and edit forms of the apps pages: read the multipart body, check every field (so
// the page can show every error at once, each beside its field), and keep what the user entered.
import type { Context } from 'koa';
import type { ClientLogo } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';
import { isUserFacing, type ClientType } from '../../config/scopes.ts';
import { ValidationError } from '../../config/errors.ts';
import { checkEnvironment, checkHomepage, checkName, checkPostLogoutRedirectUris, checkRedirectUris, checkScopes } from '../clients/input.ts';
import { fetchLogo, readLogo } from '../clients/logo.ts';
import { readMultipart, type UploadedFile } from '../http/multipart.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { sameToken } from '../accounts/sessions.ts';
import { sessionOf } from './context.ts';
import type { FieldErrors } from './format.ts';

export type { FieldErrors };

/** What the user typed, given back to the form when it is refused. */
export type Entered = {
  name: string;
  homepage_url: string;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  scopes: string[];
  environment: string;
  live_confirmed: boolean;
  logo_url: string;
  remove_logo: boolean;
};


const FIELDS = ['_csrf', 'type', 'name', 'homepage_url', 'redirect_uris', 'post_logout_redirect_uris', 'environment', 'live_confirmed', 'logo_url', 'remove_logo'];
const KB = 1024;

export function emptyEntered(): Entered {
  return { name: '', homepage_url: '', redirect_uris: '', post_logout_redirect_uris: '', scopes: [], environment: 'test', live_confirmed: false, logo_url: '', remove_logo: false };
}

/** Reads the multipart form; its `_csrf` must be the session's token. */
export async function readAppForm(ctx: Context): Promise<{ type: string; entered: Entered; file: UploadedFile | undefined }> {
  const form = await readMultipart(ctx, { fields: FIELDS, repeated: ['scopes'], files: { logo: LIMITS.logoMaxBytes } });
  if (!sameToken(form.single._csrf!, sessionOf(ctx).csrf)) throw new LatchkeyError('csrf_failed');
  const s = form.single;
  const entered: Entered = {
    name: s.name!, homepage_url: s.homepage_url!.trim(), redirect_uris: s.redirect_uris!,
    post_logout_redirect_uris: s.post_logout_redirect_uris!, scopes: form.multiple.scopes!,
    environment: s.environment || 'test', live_confirmed: s.live_confirmed === 'yes', logo_url: s.logo_url!.trim(),
    remove_logo: s.remove_logo === 'yes',
  };
  return { type: s.type!, entered, file: form.files.logo };
}

/** Runs one check; a ValidationError becomes an entry of `errors` under its field. */
function check<T>(errors: FieldErrors, run: () => T): T | undefined {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    errors[err.field] ??= err.message;
    return undefined;
  }
}

export function redirectLines(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
}

/** Every field of a register or edit form checked, so that all errors show at once. */
export function checkAppFields(entered: Entered, type: ClientType, options: { registering: boolean }): FieldErrors {
  const errors: FieldErrors = {};
  check(errors, () => checkName(entered.name));
  check(errors, () => checkScopes(entered.scopes.join(' '), type));
  if (isUserFacing(type)) {
    check(errors, () => checkHomepage(entered.homepage_url));
    check(errors, () => checkRedirectUris(redirectLines(entered.redirect_uris), type));
  }
  if (type === 'web') check(errors, () => checkPostLogoutRedirectUris(redirectLines(entered.post_logout_redirect_uris), type));
  if (options.registering) {
    const environment = check(errors, () => checkEnvironment(entered.environment));
    if (environment === 'live' && !entered.live_confirmed) {
      errors.live_confirmed = 'Tick the box to confirm: a live app acts on real data.';
    }
  }
  return errors;
}

/** The logo the form asks for: an upload, else a URL fetched once; null to remove; undefined for none. */
export async function logoFromForm(
  entered: Entered, file: UploadedFile | undefined, errors: FieldErrors, production: boolean,
): Promise<ClientLogo | null | undefined> {
  if (file?.tooLarge) {
    errors.logo = `The logo is larger than ${LIMITS.logoMaxBytes / KB} KB. Choose a smaller PNG, JPEG, GIF or WebP image.`;
    return undefined;
  }
  if (file) return check(errors, () => readLogo(file.bytes, file.declaredType));
  // Fetched only once the rest of the form is right: a refused form never makes us fetch again.
  if (entered.logo_url && Object.keys(errors).length === 0) {
    try {
      return await fetchLogo(entered.logo_url, production);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      errors[err.field] = err.message.replace(/\blogo_url\b/g, 'the logo URL');
      return undefined;
    }
  }
  return entered.remove_logo ? null : undefined;
}
