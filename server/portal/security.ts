// /portal/security: the signed-in user's email, password, two-factor and sign-out everywhere. Every
// change here needs a recent sign-in (step-up.ts) and is audited; password and two-factor changes
// mail a notice, an email change confirms the new address first and then tells the old one.
import { LatchkeyError } from '../../config/errors.ts';
import type { Context } from 'koa';
import type { OidcModelStore } from '../../adapters/contract.ts';
import { ValidationError } from '../../config/errors.ts';
import { changePassword } from '../accounts/passwords-flow.ts';
import { MIN_PASSWORD_LENGTH } from '../accounts/passwords.ts';
import { newEnrolment, newRecoveryCodes, RECOVERY_CODES, sealTotpSecret, totpMatches } from '../accounts/two-factor.ts';
import { originOf, userEvent } from '../accounts/account-events.ts';
import { verificationAlong } from '../accounts/verification.ts';
import { checkEmail } from '../http/input-rules.ts';
import type { Mailer } from '../mail/mailer.ts';
import { openText, openWithAny, sealText } from '../secrets.ts';
import { mustEnrolTwoFactor } from '../accounts/sessions.ts';
import { checkedForm, sessionOf, showPage, signedInWith, type PageData, type PortalDeps } from './context.ts';
import { describeBrowser, plainWords } from './format.ts';

import { freshSignIn } from './step-up.ts';

/** A secret being enrolled waits here, sealed, until a code confirms it. */
const ENROLMENT_MODEL = 'TotpEnrolment';
const ENROLMENT_SECONDS = 15 * 60;
const ENROLMENT_PURPOSE = 'totp-enrolment';

export function mountSecurity(deps: PortalDeps & { readonly mailer: Mailer; readonly records: OidcModelStore }): void {
  const { router, store, pepper, sessions, mailer, records } = deps;
  const signedIn = signedInWith(sessions);
  const mail = { mailer, pepper };

  const show = async (ctx: Context, data: PageData = {}, status = 200) => {
    const { user, place } = sessionOf(ctx);
    const places = (await sessions.places(user.id)).map((p) => ({
      ...p, current: p.id === place, browser: describeBrowser(p.userAgent),
      createdAt: new Date(p.createdAt).toISOString(), lastSeenAt: new Date(p.lastSeenAt).toISOString(),
    }));
    return showPage(ctx, 'portal-security', {
      nav: 'security', user, minPassword: MIN_PASSWORD_LENGTH, recoveryTotal: RECOVERY_CODES, places, ...data,
    }, status);
  };

  const event = (ctx: Context, action: string) => userEvent(sessionOf(ctx).user, action, originOf(ctx));

  router.get('/security', signedIn, async (ctx) => {
    const notices: Record<string, string> = {
      password: 'Your password is changed. Every other session was signed out.',
      email: 'We sent a confirmation link to the new address. Your email changes once you open it.',
      'two-factor-off': 'Two-factor authentication is off.',
      'place-ended': 'That browser is signed out.',
    };
    await show(ctx, { notice: notices[String(ctx.query.done)] ?? '' });
  });

  // One place (browser) signed out: its portal session and the authorization-server session started with it.
  router.post('/security/places/:id/end', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    const { user } = sessionOf(ctx);
    const place = (await sessions.places(user.id)).find((p) => p.id === ctx.params.id);
    if (place) await sessions.endPlace(user.id, place.id);
    see(ctx, '/portal/security?done=place-ended');
  });

  router.post('/security/password', signedIn, freshSignIn('account.password'), async (ctx) => {
    const form = await checkedForm(ctx, ['current_password', 'new_password']);
    const session = sessionOf(ctx);
    try {
      const user = await changePassword(store, mail, session.user, form.single.current_password!, form.single.new_password!, originOf(ctx));
      // Every other session ends; this browser signs in anew.
      await sessions.endAllOf(user.id);
      await sessions.create(ctx, user, { amr: [...session.amr] });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return show(ctx, { errors: { [err.field]: plainWords(err.message) } }, 400);
    }
    see(ctx, '/portal/security?done=password');
  });

  router.post('/security/email', signedIn, freshSignIn('account.email'), async (ctx) => {
    const form = await checkedForm(ctx, ['email']);
    const { user } = sessionOf(ctx);
    let email: string;
    try {
      email = checkEmail(form.single.email!);
      if (email === user.email) throw new ValidationError('email', 'this is already your email address');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return show(ctx, { errors: { email: plainWords(err.message) }, values: { email: form.single.email } }, 400);
    }
    // An address another user has gets the same answer: its owner is not revealed; the link then fails.
    await store.writeAlong(await verificationAlong(mail, user.id, email));
    mailer.written();
    see(ctx, '/portal/security?done=email');
  });

  router.get('/security/two-factor', signedIn, freshSignIn('account.two_factor'), async (ctx) => {
    const { user } = sessionOf(ctx);
    if (user.totp) return see(ctx, '/portal/security');
    const enrolment = await newEnrolment(user.email, `Latchkey (${new URL(deps.issuer).host})`);
    await records.upsert(ENROLMENT_MODEL, user.id, { sealed: sealText(pepper.derive(ENROLMENT_PURPOSE), enrolment.secret, `enrol:${user.id}`) }, ENROLMENT_SECONDS);
    await showPage(ctx, 'portal-two-factor', { nav: 'security', enrolment, error: '', required: mustEnrolTwoFactor(sessionOf(ctx)) });
  });

  router.post('/security/two-factor', signedIn, freshSignIn('account.two_factor'), async (ctx) => {
    const form = await checkedForm(ctx, ['code']);
    const { user } = sessionOf(ctx);
    const pending = await records.find(ENROLMENT_MODEL, user.id);
    if (user.totp || typeof pending?.sealed !== 'string') return see(ctx, '/portal/security');
    const sealed = pending.sealed;
    const secret = openWithAny(pepper.derivedKeys(ENROLMENT_PURPOSE), (key) => openText(key, sealed, `enrol:${user.id}`));
    const step = await totpMatches(secret, form.single.code!);
    if (step === undefined) {
      const enrolment = { secret, uri: '', svg: '' };
      return showPage(ctx, 'portal-two-factor', {
        nav: 'security', enrolment, required: mustEnrolTwoFactor(sessionOf(ctx)), error: 'That code is not right. Enter the code your app shows now (it changes every 30 seconds).',
      }, 400);
    }
    const recovery = newRecoveryCodes(pepper);
    await store.updateUser(user.id, {
      totp: { sealedSecret: sealTotpSecret(pepper, user.id, secret), enabledAt: new Date(), lastStep: step }, recoveryCodes: recovery.hashes,
    }, {
      mails: [await twoFactorNotice(ctx, 'turned on')], events: [event(ctx, 'user.two_factor_enabled')],
    });
    await records.destroy(ENROLMENT_MODEL, user.id);
    mailer.written();
    await sessions.renew(ctx, { amr: ['pwd', 'otp'] });
    await showPage(ctx, 'portal-recovery-codes', { nav: 'security', codes: recovery.codes });
  });

  router.post('/security/two-factor/recovery-codes', signedIn, freshSignIn('account.two_factor'), async (ctx) => {
    await checkedForm(ctx, []);
    const { user } = sessionOf(ctx);
    if (!user.totp) return see(ctx, '/portal/security');
    const recovery = newRecoveryCodes(pepper);
    await store.updateUser(user.id, { recoveryCodes: recovery.hashes }, { events: [event(ctx, 'user.recovery_codes_replaced')] });
    await showPage(ctx, 'portal-recovery-codes', { nav: 'security', codes: recovery.codes });
  });

  router.post('/security/two-factor/disable', signedIn, freshSignIn('account.two_factor'), async (ctx) => {
    await checkedForm(ctx, []);
    if (sessionOf(ctx).policy.requireTwoFactor) {
      throw new LatchkeyError('two_factor_required', 'Your organisation requires two-factor authentication: it cannot be turned off. Make new recovery codes if you lost yours.');
    }
    const { user } = sessionOf(ctx);
    if (user.totp) {
      await store.updateUser(user.id, { totp: null, recoveryCodes: [] }, {
        mails: [await twoFactorNotice(ctx, 'turned off')], events: [event(ctx, 'user.two_factor_disabled')],
      });
      mailer.written();
    }
    see(ctx, '/portal/security?done=two-factor-off');
  });

  function twoFactorNotice(ctx: Context, change: string) {
    const { user } = sessionOf(ctx);
    return mailer.compose('two_factor_changed', user.email, { email: user.email, change, at: new Date().toUTCString() });
  }
}

function see(ctx: Context, path: string): void {
  ctx.status = 303;
  ctx.redirect(path);
}

