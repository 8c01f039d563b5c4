// A minimal browser behind a TLS-terminating proxy: it speaks plain http to the test server on
// 127.0.0.1, as the proxy would, and says which scheme and host the user's request came to with
// X-Forwarded-Proto and X-Forwarded-Host. URLs under the public https issuer are sent to the local address instead.
import { Browser, type Form, type Page } from '../helpers/browser.ts';

export class ProxiedBrowser {
  readonly #cookies = new Map<string, string>();
  /** Every Set-Cookie line the server sent, in order. */
  readonly setCookies: string[] = [];
  /** Every response's URL and headers, in order. */
  readonly responses: { url: string; status: number; headers: Headers }[] = [];

  readonly issuer: string;
  readonly local: string;
  readonly forwardedProto: string | null;

  /** `issuer`: the public URL; `local`: where the server listens; `forwardedProto`: the scheme the proxy reports (null: no header). */
  constructor(issuer: string, local: string, forwardedProto: string | null = 'https') {
    this.issuer = issuer;
    this.local = local;
    this.forwardedProto = forwardedProto;
  }

  #toLocal(url: string): string {
    return url.startsWith(this.issuer) ? this.local + url.slice(this.issuer.length) : url;
  }

  async request(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Page> {
    const cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(this.#toLocal(url), {
      method: init.method ?? 'GET',
      body: init.body,
      redirect: 'manual',
      headers: {
        accept: 'text/html',
        ...(cookie ? { cookie } : {}),
        ...(this.forwardedProto ? { 'x-forwarded-proto': this.forwardedProto, 'x-forwarded-host': new URL(this.issuer).host } : {}),
        ...init.headers,
      },
    });
    for (const line of response.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    this.responses.push({ url, status: response.status, headers: response.headers });
    return { url, status: response.status, headers: response.headers, html: await response.text() };
  }

  /** Follows redirects until a page is served or a redirect leaves for `stopAt`. */
  async navigate(url: string, stopAt: string, init?: { method?: string; body?: string; headers?: Record<string, string> }): Promise<Page | URL> {
    let page = await this.request(url, init);
    for (let hops = 0; hops < 10; hops += 1) {
      const location = page.headers.get('location');
      if (page.status < 300 || page.status >= 400 || !location) return page;
      const next = new URL(location, page.url);
      if (next.href.startsWith(stopAt)) return next;
      page = await this.request(next.href);
    }
    throw new Error('too many redirects');
  }

  async submit(form: Form, values: Record<string, string>, stopAt: string): Promise<Page | URL> {
    const body = new URLSearchParams({ ...form.fields, ...values }).toString();
    return this.navigate(form.action, stopAt, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  static forms(page: Page): Form[] {
    return Browser.forms(page);
  }
}
