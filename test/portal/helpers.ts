// Portal steps the tests share: sign up through the real form, create a key, follow a redirect.
import { expect } from 'chai';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { recordSecret } from '../helpers/secret-registry.ts';

let counter = 0;

/** A fresh organisation, email and a password the policy accepts. */
export function newOwner(name = 'Signup Co'): { name: string; email: string; password: string } {
  counter += 1;
  const password = `violet tractor mango ${counter} ${Date.now() % 997}`;
  recordSecret(password);
  return { name, email: `owner${counter}.${Date.now()}@example.com`, password };
}

export function form(page: Page, action: string) {
  const found = Browser.forms(page).find((f) => new URL(f.action).pathname === action);
  if (!found) throw new Error(`no form posting to ${action} on ${page.url}`);
  return found;
}

/** Posts the sign-up form as a browser would, without following the redirect. */
export async function postSignUp(browser: Browser, issuer: string, values: Record<string, string>): Promise<Page> {
  const signup = pageOf(await browser.navigate(`${issuer}/portal/signup`, 'nowhere:'));
  const { action, fields } = form(signup, '/portal/signup');
  return browser.request(action, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, ...values }).toString(),
  });
}

/**
 * The link to `path` in the newest mail to `email`, read from the development mailbox page (a test
 * server without LATCHKEY_SMTP_URL writes its mails as files and lists them there).
 */
export async function linkFromDevMailbox(browser: Browser, issuer: string, email: string, path: string): Promise<string> {
  const mailbox = pageOf(await browser.navigate(`${issuer}/portal/dev/mail`, 'nowhere:'));
  const section = mailbox.html.split('<section').find((part) => part.includes(`<strong>${email}</strong>`) && part.includes(`${issuer}${path}`));
  const link = section && new RegExp(`href="(${issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${path}[^"]*)"`).exec(section)?.[1];
  if (!link) throw new Error(`no mail to ${email} with a link to ${path} in the development mailbox`);
  return link.replaceAll('&amp;', '&');
}

/** Opens the confirmation link mailed to `email` and presses its button. */
export async function confirmAddress(browser: Browser, issuer: string, email: string): Promise<Page> {
  const link = await linkFromDevMailbox(browser, issuer, email, '/portal/verify');
  const page = pageOf(await browser.navigate(link, 'nowhere:'));
  expect(page.html, 'the link asks before using itself').to.include('Confirm my address');
  const done = pageOf(await browser.submit(form(page, '/portal/verify'), {}, 'nowhere:'));
  expect(done.html).to.include('Address confirmed');
  return done;
}

/** Signs in through the portal's form and lands on the keys page. */
export async function signInToPortal(browser: Browser, issuer: string, owner: { email: string; password: string }): Promise<Page> {
  const login = pageOf(await browser.navigate(`${issuer}/portal/login`, 'nowhere:'));
  const landed = await browser.submit(form(login, '/portal/login'), { email: owner.email, password: owner.password }, 'nowhere:');
  const home = pageOf(landed);
  expect(home.status, home.html.slice(0, 300)).to.equal(200);
  expect(new URL(home.url).pathname).to.equal('/portal');
  return home;
}

/**
 * Signs up a new owner through the real form, confirms the address from the mailed link (unless
 * `confirm` is false), signs in and lands on the portal's keys page.
 */
export async function signedUp(issuer: string, owner = newOwner(), { confirm = true } = {}): Promise<{ browser: Browser; home: Page; owner: typeof owner }> {
  const browser = new Browser();
  const answer = await postSignUp(browser, issuer, owner);
  expect(answer.status).to.equal(200);
  expect(answer.html).to.include('Check your email');
  if (confirm) await confirmAddress(browser, issuer, owner.email);
  const home = await signInToPortal(browser, issuer, owner);
  return { browser, home, owner };
}

/** Posts the create-key form; the answer is not followed. */
export async function postNewKey(browser: Browser, home: Page, values: Record<string, string>, scopes = ['read:contacts']): Promise<Page> {
  // The form is on its own page (issue 25): /portal/keys/new.
  const create = form(pageOf(await browser.navigate(new URL('/portal/keys/new', home.url).href, 'nowhere:')), '/portal/keys');
  // Only the hidden token: the form's checkboxes and radios are what `values` and `scopes` say.
  const body = new URLSearchParams({ _csrf: create.fields._csrf!, ...values });
  for (const scope of scopes) body.append('scopes', scope);
  return browser.request(create.action, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

/** The key a page shows once, if any. */
export const shownKey = (html: string) => /<code id="new-key"[^>]*>([^<]+)<\/code>/.exec(html)?.[1];

/** The rows of the keys table. */
export const keyRows = (html: string) => html.match(/<tr id="key_[^"]*" class="key-row">/g)?.length ?? 0;
