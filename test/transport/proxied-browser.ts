// A minimal browser behind a TLS-terminating proxy: it speaks plain http to the test server on
// 127.0.0.1, as the proxy would, and says which scheme and host the user's request came to with
// X-Forwarded-Proto and X-Forwarded-Host. URLs under the public https issuer are sent to the local address instead.
import { Browser } from '../../packages/form-browser/browser.ts';

export class ProxiedBrowser extends Browser {
  readonly issuer: string;
  readonly local: string;
  readonly forwardedProto: string | null;

  /** `issuer`: the public URL; `local`: where the server listens; `forwardedProto`: the scheme the proxy reports (null: no header). */
  constructor(issuer: string, local: string, forwardedProto: string | null = 'https') {
    super();
    this.issuer = issuer;
    this.local = local;
    this.forwardedProto = forwardedProto;
  }

  protected override route(url: string): { url: string; headers: Record<string, string> } {
    return {
      url: url.startsWith(this.issuer) ? this.local + url.slice(this.issuer.length) : url,
      headers: this.forwardedProto ? { 'x-forwarded-proto': this.forwardedProto, 'x-forwarded-host': new URL(this.issuer).host } : {},
    };
  }
}
