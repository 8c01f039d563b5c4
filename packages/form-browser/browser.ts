// A minimal browser for the tests and the benchmark: keeps cookies, follows redirects by hand, reads
// and submits the real HTML forms. Stands alone (imports nothing), so bench/ need not import test/.

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  html: string;
}

export interface Form {
  action: string;
  fields: Record<string, string>;
}

function decodeHtml(value: string): string {
  return value.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCharCode(parseInt(n, 16)))
    .replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The page a step landed on; fails the test if it redirected out instead. */
export function pageOf(step: Page | URL): Page {
  if (step instanceof URL) throw new Error(`expected a page, got a redirect to ${step.href}`);
  return step;
}

/** The error message a login or portal page shows, if any. */
export function errorMessage(page: Page): string | undefined {
  return /class="error"[^>]*>([^<]*)</.exec(page.html)?.[1];
}

export type RequestOptions = { method?: string; body?: string; headers?: Record<string, string> };

export class Browser {
  readonly #cookies = new Map<string, string>();
  /** Every Set-Cookie line the server sent, in order. */
  readonly setCookies: string[] = [];
  /** Every response's URL, status and headers, in order. */
  readonly responses: { url: string; status: number; headers: Headers }[] = [];
  /** The User-Agent header this browser sends (fetch's own when unset). */
  readonly userAgent: string | undefined;

  constructor(options: { userAgent?: string } = {}) {
    this.userAgent = options.userAgent;
  }

  #remember(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** Where a request for `url` is sent, and the headers added to it: the same URL here (see ProxiedBrowser). */
  protected route(url: string): { url: string; headers: Record<string, string> } {
    return { url, headers: {} };
  }

  /** One request, no redirect following. */
  async request(url: string, init: RequestOptions = {}): Promise<Page> {
    const cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const target = this.route(url);
    const response = await fetch(target.url, {
      method: init.method ?? 'GET',
      body: init.body,
      redirect: 'manual',
      headers: {
        accept: 'text/html', ...(cookie ? { cookie } : {}), ...(this.userAgent ? { 'user-agent': this.userAgent } : {}), ...target.headers, ...init.headers,
      },
    });
    this.#remember(response.headers);
    this.responses.push({ url, status: response.status, headers: response.headers });
    return { url, status: response.status, headers: response.headers, html: await response.text() };
  }

  /**
   * Follows redirects until a page is served or a redirect leaves for `stopAt` (the client's
   * redirect URI), whose URL is then returned without being fetched.
   */
  async navigate(url: string, stopAt: string, init?: RequestOptions): Promise<Page | URL> {
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

  /** The forms of a page, in order, with their hidden fields. */
  static forms(page: Page): Form[] {
    const forms: Form[] = [];
    for (const match of page.html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
      const fields: Record<string, string> = {};
      for (const input of match[2]!.matchAll(/<input[^>]*>/g)) {
        const name = /name="([^"]*)"/.exec(input[0])?.[1];
        const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
        if (name) fields[name] = decodeHtml(value);
      }
      forms.push({ action: new URL(decodeHtml(match[1]!), page.url).href, fields });
    }
    return forms;
  }

  async submit(form: Form, values: Record<string, string>, stopAt: string): Promise<Page | URL> {
    const body = new URLSearchParams({ ...form.fields, ...values }).toString();
    return this.navigate(form.action, stopAt, {
      method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }
}
