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

/** Signs up a new owner and lands on the portal's keys page. */
export async function signedUp(issuer: string, owner = newOwner()): Promise<{ browser: Browser; home: Page; owner: typeof owner }> {
  const browser = new Browser();
  const answer = await postSignUp(browser, issuer, owner);
  expect(answer.status).to.equal(303);
  const home = pageOf(await browser.navigate(`${issuer}/portal`, 'nowhere:'));
  expect(home.status).to.equal(200);
  return { browser, home, owner };
}

/** Posts the create-key form; the answer is not followed. */
export async function postNewKey(browser: Browser, home: Page, values: Record<string, string>, scopes = ['read:contacts']): Promise<Page> {
  const create = form(home, '/portal/keys');
  // Only the hidden token: the form's checkboxes and radios are what `values` and `scopes` say.
  const body = new URLSearchParams({ _csrf: create.fields._csrf!, ...values });
  for (const scope of scopes) body.append('scopes', scope);
  return browser.request(create.action, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

/** The key a page shows once, if any. */
export const shownKey = (html: string) => /<code id="new-key"[^>]*>([^<]+)<\/code>/.exec(html)?.[1];

/** The rows of the keys table. */
export const keyRows = (html: string) => html.match(/<tr id="key_[^"]*" class="key-row">/g)?.length ?? 0;
